// Signing in to the programme console as a fresh staff member, for browser tests.
//
// `signInAs(page, 'coordinator' | 'viewer')` asks the local runner for a new user in the staff
// pool (`POST /_dev/staff`: a unique email, a temporary password, the group), then goes
// through the console's own first sign-in: the temporary password, a new password, and the
// authenticator app's enrolment (the code computed here, RFC 6238). The page ends on the
// pipeline, signed in. Each test gets its own user, so test files never depend on each other's
// passwords or sessions. `totp` and `freshCode` compute the authenticator's codes.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { baseUrl } from './harness.mjs';

/** The password every helper-made user chooses at first sign-in (meets the pool's policy). */
export const NEW_PASSWORD = 'Console-browser-passw0rd';

/** RFC 6238 TOTP (HMAC-SHA1, 30-second steps, 6 digits) of a base32 secret at `ms` since the epoch. */
export function totp(secret, ms = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) {
    const index = alphabet.indexOf(c);
    assert.ok(index >= 0, `not base32: ${secret}`);
    bits += index.toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 1000 / 30)));
  const digest = createHmac('sha1', key).update(counter).digest();
  const offset = digest[19] & 0x0f;
  const number = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(number % 1_000_000).padStart(6, '0');
}

/** A code away from the end of its 30-second step (the server checks it without a window). */
export async function freshCode(secret) {
  if (Math.floor(Date.now() / 1000) % 30 >= 27) await new Promise((r) => setTimeout(r, 4000));
  return totp(secret);
}

/** A new staff member in `role`'s group, with a temporary password: `{ email, temporary_password }`. */
export async function createStaff(role, email = `${role}-${randomUUID()}@example.org`) {
  assert.ok(role === 'coordinator' || role === 'viewer', `no such role: ${role}`);
  const response = await fetch(`${baseUrl()}/_dev/staff`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, group: role }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, `POST /_dev/staff: ${JSON.stringify(body)}`);
  return body;
}

/**
 * Signs `page` in as a new `role` ('coordinator' or 'viewer'): temporary password, new
 * password, authenticator enrolment. Ends on the pipeline. Answers `{ email, password, secret }`
 * (the authenticator's setup key, for signing in again with `freshCode(secret)`).
 */
export async function signInAs(page, role) {
  const staff = await createStaff(role);
  await page.goto('/console/sign-in');
  await page.getByLabel('Email address').fill(staff.email);
  await page.getByLabel('Password', { exact: true }).fill(staff.temporary_password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.match(page.url(), /\/console\/new-password$/, `${staff.email}: the new-password step`);
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('Type the new password again').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Save the password' }).click();
  assert.match(page.url(), /\/console\/authenticator$/, `${staff.email}: the authenticator step`);
  const secret = (await page.locator('#totp-secret').innerText()).trim();
  await page.getByLabel('Code', { exact: true }).fill(await freshCode(secret));
  await page.getByRole('button', { name: 'Check the code and sign in' }).click();
  assert.match(page.url(), /\/console$/, `${staff.email}: signed in, on the pipeline`);
  return { email: staff.email, password: NEW_PASSWORD, secret };
}

/** Opens the request's page, again until its stage is `stage` (the matcher runs on the stream). */
export async function openAtStage(page, reference, stage, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.goto(`/console/requests/${reference}`);
    const now = (await page.locator('#stage').innerText()).trim();
    if (now === stage) return;
    assert.ok(Date.now() < deadline, `${reference} is still "${now}", not "${stage}"`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
