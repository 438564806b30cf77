// The programme console's sign-in, without JavaScript: the demo coordinator (seeded by the
// local runner with a temporary password) signs in, chooses a new password, sets up an
// authenticator app (the code computed here from the setup key the page shows, RFC 6238),
// sees the pipeline and signs out; a wrong password and empty fields get clear errors. Every
// state, error states included, has no axe violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { NEW_PASSWORD, freshCode, signInAs, totp } from './console_session.mjs';

useBrowser();

const COORDINATOR = { email: 'coordinator@example.org', temporary: 'Coordinator-temp-1' };
const VIEWER = { email: 'viewer@example.org' };

test('totp matches RFC 6238 test vector (SHA-1, T=59s)', () => {
  // RFC 6238 appendix B: secret "12345678901234567890", 8 digits 94287082 -> 6 digits 287082.
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  assert.equal(totp(secret, 59_000), '287082');
});

async function errorSummary(page) {
  return (await page.locator('.error-summary').innerText()).trim();
}

test('a wrong password and empty fields are refused with clear errors', async (t) => {
  await withPage(
    t,
    async (page) => {
      await page.goto('/console/sign-in');
      assert.equal(await page.locator('h1').innerText(), 'Sign in to the console');
      await expectNoAxeViolations(page, 'sign-in page');

      await page.getByRole('button', { name: 'Sign in' }).click();
      const empty = await errorSummary(page);
      assert.match(empty, /Enter your email address/);
      assert.match(empty, /Enter your password/);
      await expectNoAxeViolations(page, 'sign-in page, empty fields');

      await page.getByLabel('Email address').fill(VIEWER.email);
      await page.getByLabel('Password', { exact: true }).fill('Not-the-password-1');
      await page.getByRole('button', { name: 'Sign in' }).click();
      assert.match(await errorSummary(page), /The email address or password is wrong/);
      assert.match(await page.locator('#password-error').innerText(), /The email address or password is wrong/);
      assert.equal(await page.getByLabel('Email address').inputValue(), VIEWER.email);
      assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'a password is never shown again');
      await expectNoAxeViolations(page, 'sign-in page, wrong password');
    },
    { javaScriptEnabled: false },
  );
});

test('the coordinator signs in with the temporary password, sets a new one, enrols TOTP, sees the pipeline and signs out', async (t) => {
  await withPage(
    t,
    async (page) => {
      await page.goto('/console');
      assert.match(page.url(), /\/console\/sign-in$/, 'the console sends a stranger to sign in');
      await page.getByLabel('Email address').fill(COORDINATOR.email);
      await page.getByLabel('Password', { exact: true }).fill(COORDINATOR.temporary);
      await page.getByRole('button', { name: 'Sign in' }).click();

      assert.match(page.url(), /\/console\/new-password$/);
      assert.equal(await page.locator('h1').innerText(), 'Choose a new password');
      await expectNoAxeViolations(page, 'new password page');
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Type the new password again').fill(NEW_PASSWORD + 'x');
      await page.getByRole('button', { name: 'Save the password' }).click();
      assert.match(await errorSummary(page), /The two passwords are not the same/);
      await expectNoAxeViolations(page, 'new password page, passwords differ');
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Type the new password again').fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Save the password' }).click();

      assert.match(page.url(), /\/console\/authenticator$/);
      assert.equal(await page.locator('h1').innerText(), 'Set up your authenticator app');
      await expectNoAxeViolations(page, 'authenticator setup page');
      const secret = (await page.locator('#totp-secret').innerText()).trim();
      const uri = await page.locator('#totp-uri').getAttribute('href');
      assert.match(uri, new RegExp(`^otpauth://totp/.+\\?secret=${secret}&`));

      await page.getByLabel('Code', { exact: true }).fill('12345');
      await page.getByRole('button', { name: 'Check the code and sign in' }).click();
      assert.match(await errorSummary(page), /Enter the 6-digit code/);
      await expectNoAxeViolations(page, 'authenticator setup page, code too short');

      await page.getByLabel('Code', { exact: true }).fill(await freshCode(secret));
      await page.getByRole('button', { name: 'Check the code and sign in' }).click();

      assert.match(page.url(), /\/console$/);
      assert.equal(await page.locator('h1').innerText(), 'Pipeline');
      assert.match(await page.locator('.console-bar').innerText(), /coordinator@example\.org \(coordinator\)/);
      assert.match(await page.locator('#count-submitted').innerText(), /^\d+$/);
      await expectNoAxeViolations(page, 'pipeline page');

      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      assert.equal(await page.locator('h1').innerText(), 'You have signed out');
      await expectNoAxeViolations(page, 'signed out page');
      await page.goto('/console');
      assert.match(page.url(), /\/console\/sign-in$/, 'signed out means signed out');

      // The next sign-in asks for a code from the app, not for its setup.
      await page.getByLabel('Email address').fill(COORDINATOR.email);
      await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      assert.match(page.url(), /\/console\/code$/);
      await expectNoAxeViolations(page, 'code page');
      await page.getByLabel('Code', { exact: true }).fill(await freshCode(secret));
      await page.getByRole('button', { name: 'Sign in' }).click();
      assert.equal(await page.locator('h1').innerText(), 'Pipeline');
    },
    { javaScriptEnabled: false },
  );
});

test('signInAs gives each test its own signed-in viewer, who may not download personal data', async (t) => {
  await withPage(
    t,
    async (page) => {
      const viewer = await signInAs(page, 'viewer');
      assert.equal(await page.locator('h1').innerText(), 'Pipeline');
      assert.ok((await page.locator('.console-bar').innerText()).includes(`${viewer.email} (viewer)`));
      assert.equal(await page.getByRole('link', { name: /Download the pipeline/ }).count(), 0);
      await expectNoAxeViolations(page, 'pipeline page, viewer');
      const csv = await page.goto('/console/pipeline.csv');
      assert.equal(csv.status(), 403);
      await expectNoAxeViolations(page, '403 page, viewer');
    },
    { javaScriptEnabled: false },
  );
});
