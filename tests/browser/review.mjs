// Helpers for tests that take a review past its visit: a request sent through the JSON API,
// the lead's offer accepted in the browser, the visit moved to today with the local runner's
// `POST /_dev/requests/<reference>/visit-date` (the report editor opens on the visit day, weeks
// away in any request a test can make).
//
// The school is a Coventry mainstream secondary, which the matcher offers first to Tomasz Nowak
// (three reviews a term), so these tests do not use the Camden reviewers other files rely on. A run books him at most three times in one term: report.test.mjs once, follow_up.test.mjs
// once for the review and once, a term later, for its follow-up.
import assert from 'node:assert/strict';
import { baseUrl, readMail } from './harness.mjs';
import { visitDayFor } from './pool.mjs';
import { clickAndWait, isoDateFromToday, statusLinkFromMail, uniqueEmail, uniqueUrn } from './school.mjs';

export async function postJson(path, body, headers = {}) {
  const res = await fetch(baseUrl() + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  assert.ok(res.ok, `POST ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Every mail the stack sent, newest first, whose subject includes `text` and that `where` keeps; waits for one. */
export async function mailWithSubject(text, { timeoutMs = 15_000, where = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${baseUrl()}/_dev/mail.json`, { signal: AbortSignal.timeout(5_000) });
    const found = (await res.json()).filter((m) => String(m.subject ?? '').includes(text) && where(m));
    if (found.length) return found;
    if (Date.now() > deadline) {
      throw new Error(`no email whose subject includes "${text}" (is the demo reviewer pool seeded, and Tomasz Nowak under capacity? restart the stack or use a new --prefix)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * The first weekday `from`..`to` days from today on which the reviewer the `offer` mail went
 * to can visit, read from the pool the stack seeded (its unavailable days move with the day it
 * started).
 */
export async function visitDay(offer, from, to) {
  const day = await visitDayFor(offer.to[0], from, to);
  assert.ok(day, `${offer.to[0]} has no free weekday ${from} to ${to} days from today`);
  return day;
}

export const OFFER_LINK = /\/offers\/[^/?#]+$/;

/**
 * The reviewer accepts `offer` (a mail) for `visitDate` in the browser; the link to their
 * review page, from the confirmation that mentions `reference`.
 */
export async function acceptOffer(page, offer, visitDate, reference) {
  const offerLink = (offer.links ?? []).find((href) => OFFER_LINK.test(href));
  assert.ok(offerLink, `the offer has no /offers/ link: ${JSON.stringify(offer.links)}`);
  await page.goto(offerLink);
  await page.fill('#visit_date', visitDate);
  await clickAndWait(page, page.getByRole('button', { name: 'Accept this review' }));
  assert.match(await page.locator('h1').innerText(), /accepted/i, 'the lead accepted the review');
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const mails = await readMail(offer.to[0], { timeoutMs: 10_000 });
    const reviewLink = mails
      .filter((m) => `${m.subject} ${m.text}`.includes(reference))
      .flatMap((m) => m.links ?? [])
      .find((href) => /\/reviews\/[^/?#]+$/.test(href));
    if (reviewLink) return reviewLink;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the lead was sent no link to review ${reference}`);
}

/** The API's school object of `name`: a Camden mainstream primary with a unique URN, unless `fields` say otherwise. */
export function apiSchool(name, fields = {}) {
  return {
    urn: uniqueUrn(), name, phase: 'primary', type: 'mainstream', local_authority_code: 202,
    postcode: 'NW1 2DB', number_on_roll: 400, sen_support_percent: 14, ehc_plan_percent: 3,
    areas_of_need: ['cognition_and_learning'], ...fields,
  };
}

/**
 * `school` (the API's school object) asks for a SEND review of `focus_areas`, visiting 30 to 40
 * or 60 to 70 days from today, its contact Jo Park at `email`, through the JSON API (sent once
 * per `prefix` and address). Its reference.
 */
export async function sendReviewRequest(email, school, { focus_areas, learning_goal, prefix }) {
  const { reference } = await postJson(
    '/api/v1/review-requests',
    {
      school,
      review_type: 'send_review',
      focus_areas,
      visit_windows: [
        { start: isoDateFromToday(30), end: isoDateFromToday(40) },
        { start: isoDateFromToday(60), end: isoDateFromToday(70) },
      ],
      learning_goal,
      contact: { name: 'Jo Park', role: 'SENCO', email },
      declarations: { no_pupil_named: true, privacy_notice_accepted: true },
    },
    { 'idempotency-key': `${prefix}-${email}` },
  );
  return reference;
}

/** Moves the booked visit of `reference` to `days` from today (negative: days ago). */
export async function visitOn(reference, days) {
  const moved = await postJson(`/_dev/requests/${reference}/visit-date`, { date: isoDateFromToday(days) });
  assert.equal(moved.visit_date, isoDateFromToday(days));
}

/** Moves the booked visit of `reference` to today. */
export async function visitToday(reference) {
  await visitOn(reference, 0);
}

/** A school whose review is booked with its visit today: its status link, the lead's review link, its name and reference. */
export async function reviewOnTheVisitDay(page, prefix = 'report') {
  const email = uniqueEmail(prefix);
  const schoolName = `Coventry Spires Academy ${Date.now().toString(36).toUpperCase()}`;
  const window1 = [30, 40];
  const reference = await sendReviewRequest(
    email,
    {
      urn: uniqueUrn(), name: schoolName, phase: 'secondary', type: 'mainstream',
      local_authority_code: 331, postcode: 'CV1 2GT', number_on_roll: 1100,
      sen_support_percent: 12.5, ehc_plan_percent: 2.1, areas_of_need: ['cognition_and_learning'],
    },
    { focus_areas: 'all', learning_goal: 'How well our teaching assistants are deployed.', prefix },
  );
  const statusLink = await statusLinkFromMail(email);
  const [offer] = await mailWithSubject(schoolName);
  const reviewLink = await acceptOffer(page, offer, await visitDay(offer, ...window1), reference);
  await visitToday(reference);
  return { statusLink, reviewLink, schoolName, reference, email };
}
