// The school's side of the browser tests: filling the request form with valid answers.
// Shared by the test files that act as a school.
import assert from 'node:assert/strict';
import { baseUrl, readMail } from './harness.mjs';

/** The school's visit windows (days from today), as fillValidRequest enters them. */
export const WINDOW_1 = [30, 40];
export const WINDOW_2 = [60, 70];

export const LEARNING_GOAL = 'How well our graduated approach works in key stage 2.';

/** today + `days`, as YYYY-MM-DD (the value format of <input type="date">). */
export function isoDateFromToday(days) {
  const date = new Date();
  date.setUTCHours(12, 0, 0, 0);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** A contact address no other test (or earlier run) uses. */
export function uniqueEmail(prefix = 'senco') {
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  return `${prefix}.${suffix}@brook.example.sch.uk`;
}

/**
 * A random 6-digit URN. The service accepts only a few requests per school
 * (URN) a day, so each successful submission uses its own school.
 */
export function uniqueUrn() {
  return String(100000 + Math.floor(Math.random() * 900000));
}

/** A school name no other test uses: pages and offer emails are told apart by it. */
export function uniqueSchoolName() {
  return `Brook Primary ${Date.now().toString(36).toUpperCase()}${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
}

/**
 * Fill every question of the request form with valid answers: a mainstream
 * primary in Camden (LA 202) with visit windows WINDOW_1 and WINDOW_2. Works with
 * JavaScript on or off (Playwright's fill/check/selectOption need no page scripts;
 * fill on type=date takes YYYY-MM-DD).
 */
export async function fillValidRequest(page, { email, schoolName = uniqueSchoolName(), urn = uniqueUrn() }) {
  await page.getByLabel('School URN').fill(urn);
  await page.getByLabel('School name').fill(schoolName);
  await page.check('[name="phase"][value="primary"]');
  await page.check('[name="school_type"][value="mainstream"]');
  await page.selectOption('#local_authority', '202'); // Camden
  await page.getByLabel('Trust (optional)').fill('Northshire Learning Trust');
  await page.getByLabel('School postcode').fill('NW1 2DB');
  await page.getByLabel('Number on roll').fill('420');
  await page.getByLabel('Pupils on SEN support (%)').fill('14.5');
  await page.getByLabel('Pupils with an EHC plan (%)').fill('3.2');
  await page.check('[name="areas_of_need"][value="communication_and_interaction"]');
  await page.check('[name="areas_of_need"][value="cognition_and_learning"]');
  await page.check('[name="review_type"][value="send_review"]');
  await page.check('[name="focus_scope"][value="all"]');
  await page.fill('#window_1_start', isoDateFromToday(WINDOW_1[0]));
  await page.fill('#window_1_end', isoDateFromToday(WINDOW_1[1]));
  await page.fill('#window_2_start', isoDateFromToday(WINDOW_2[0]));
  await page.fill('#window_2_end', isoDateFromToday(WINDOW_2[1]));
  await page.fill('#learning_goal', LEARNING_GOAL);
  await page.getByLabel('Full name').fill('Ann Lee');
  await page.getByLabel('Role').fill('SENCO');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Phone number (optional)').fill('020 7946 0000');
  await page.check('#no_pupil_named');
  await page.check('#privacy_notice_accepted');
  return { schoolName, urn };
}

/**
 * Sends a request through the school's form (from a fresh page); answers its reference. Its
 * windows are months later than fillValidRequest's, so its offers use places of the shared demo
 * pool in terms that the other files' requests leave free.
 */
export async function sendRequestMonthsAhead(page, { email = uniqueEmail(), schoolName = uniqueSchoolName() } = {}) {
  await page.goto(baseUrl() + '/request');
  await fillValidRequest(page, { email, schoolName });
  await page.fill('#window_1_start', isoDateFromToday(150));
  await page.fill('#window_1_end', isoDateFromToday(160));
  await page.fill('#window_2_start', isoDateFromToday(240));
  await page.fill('#window_2_end', isoDateFromToday(250));
  await clickAndWait(page, page.getByRole('button', { name: 'Send request' }));
  assert.equal((await page.locator('h1').innerText()).trim(), 'Request sent');
  const reference = (await page.locator('.panel__reference').innerText()).trim();
  await confirmRequest(reference);
  return reference;
}

/** A school's private status link, as its email gives it. */
export const STATUS_LINK = /\/status\/[A-Za-z0-9_-]{43}$/;

/**
 * The status link in the newest email to `email` (the request's first email). Unless
 * `confirm` is false, the contact then confirms the request from that page, as the email asks
 * (a request is matched only once confirmed).
 */
export async function statusLinkFromMail(email, { confirm = true } = {}) {
  const [mail] = await readMail(email, { timeoutMs: 10_000 });
  const link = (mail.links ?? []).find((href) => STATUS_LINK.test(href));
  assert.ok(link, `the confirmation email has no status link: ${JSON.stringify(mail.links)}`);
  if (confirm) {
    // The page's button: a same-site form POST (409 if a demo hook booked it already).
    const res = await fetch(`${link}/confirm`, { method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    assert.ok([303, 409].includes(res.status), `confirming answered ${res.status}`);
  }
  return link;
}

/** The contact confirms request `reference` (the local runner presses its status page's button). */
export async function confirmRequest(reference) {
  const res = await fetch(`${baseUrl()}/_dev/requests/${reference}/confirm`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, `confirming ${reference} answered ${res.status}: ${await res.text()}`);
}

/** Click a submit button and wait for the page it leads to; returns that page's response. */
export async function clickAndWait(page, button) {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
  return response;
}
