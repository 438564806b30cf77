// The demo reviewer pool as the stack seeded it (`GET /_dev/demo/reviewers.json`): its dates
// are relative to the day the stack started, so tests that book a demo reviewer read their
// unavailable days from here instead of assuming them.
import assert from 'node:assert/strict';
import { baseUrl } from './harness.mjs';
import { firstVisitDay } from './dates.mjs';

let pool = [];

/** The seeded reviewer with address `email` (read again if the pool read before did not have them yet). */
export async function demoReviewer(email) {
  const find = () => pool.find((r) => r.email.toLowerCase() === String(email).toLowerCase());
  if (!find()) {
    const res = await fetch(`${baseUrl()}/_dev/demo/reviewers.json`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200, 'GET /_dev/demo/reviewers.json');
    pool = await res.json();
  }
  const reviewer = find();
  assert.ok(reviewer, `${email} is not in the seeded demo pool`);
  return reviewer;
}

/** The first weekday `from`..`to` days from today on which the reviewer `email` can visit, or null. */
export async function visitDayFor(email, from, to) {
  const { unavailable } = await demoReviewer(email);
  return firstVisitDay(new Date().toISOString().slice(0, 10), from, to, unavailable);
}
