// Feedback once a report is final, as the browser tests reach it: the local runner makes a
// request's report final (`POST /_dev/demo/final-report`) and queues the feedback emails the
// lead's "Finalise" would (`POST /_dev/demo/feedback-invitations`); each side's form link is
// read from its email.
import assert from 'node:assert/strict';
import { expectNoAxeViolations, readMail } from './harness.mjs';
import { postJson } from './review.mjs';
import { clickAndWait } from './school.mjs';

/** Makes the report of `reference` final (with a stand-in lead if nobody is booked). */
export async function finalReport(reference) {
  await postJson('/_dev/demo/final-report', { reference });
}

/** Queues the feedback emails of `reference` (its report final): the link mailed to each of `addresses`. */
export async function feedbackLinks(reference, addresses) {
  const queued = await postJson('/_dev/demo/feedback-invitations', { reference });
  assert.ok(queued.emails >= addresses.length, `feedback emails queued: ${queued.emails}`);
  const links = [];
  for (const address of addresses) {
    let link;
    for (const deadline = Date.now() + 15_000; !link && Date.now() < deadline; ) {
      link = (await readMail(address, { timeoutMs: 10_000 }))
        .flatMap((m) => m.links ?? [])
        .find((href) => href.includes('/feedback/'));
      if (!link) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.ok(link, `no feedback email to ${address}`);
    links.push(link);
  }
  return links;
}

/** Answers the feedback form at `link` with `scores` (question key to 1..5): the page's heading after sending. */
export async function answerFeedback(page, link, scores, comment = '') {
  await page.goto(link);
  for (const [question, score] of Object.entries(scores)) {
    await page.locator(`#${question}-${score}`).check();
  }
  if (comment) await page.locator('#comment').fill(comment);
  await clickAndWait(page, page.getByRole('button', { name: 'Send your feedback' }));
  return (await page.locator('h1').innerText()).trim();
}

/**
 * Answers the form at `link` with `scores`, then checks the link takes no second answer: it is
 * thanked, the page then says it was given (409), and other scores posted from elsewhere are
 * refused (409). Each page state audited with axe (`label`).
 */
export async function answerOnce(page, context, link, scores, label) {
  const again = Object.fromEntries(Object.keys(scores).map((question) => [question, '1']));
  assert.equal(await answerFeedback(page, link, scores), 'Thank you for your feedback');
  await expectNoAxeViolations(page, `${label} thanks`);
  const reopened = await page.goto(link);
  assert.equal(reopened.status(), 409);
  assert.equal((await page.locator('h1').innerText()).trim(), 'You have already given your feedback');
  await expectNoAxeViolations(page, `${label} already given`);
  const other = await context.request.post(link, { form: again });
  assert.equal(other.status(), 409, 'a second answer posted from another window');
}
