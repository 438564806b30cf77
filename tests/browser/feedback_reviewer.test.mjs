// A reviewer's feedback once the report is final (issue 17), without JavaScript: a coordinator
// imports one reviewer, a school asks, the reviewer accepts the offer from their email, the
// report is made final (`POST /_dev/demo/final-report`) and the feedback emails queued
// (`POST /_dev/demo/feedback-invitations`, as the lead's "Finalise" does). The reviewer's own
// link opens their form (not the school's): bad input is named question by question and stores
// nothing; one answer is thanked; the link then refuses a second answer, from the page and from
// a form posted again. axe in every state.
//
// The reviewer is the pool's only one, so this file runs on a runner of its own (`useOwnRunner`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { signInAs } from './console_session.mjs';
import { answerOnce, feedbackLinks, finalReport } from './feedback.mjs';
import { useOwnRunner } from './own_runner.mjs';
import { acceptOffer, apiSchool, mailWithSubject, sendReviewRequest, visitDay } from './review.mjs';
import { clickAndWait, isoDateFromToday, statusLinkFromMail, uniqueEmail } from './school.mjs';

useOwnRunner();
useBrowser();

const HEADER =
  'name,email,home_school_urn,local_authority,regions,phases,school_types,may_lead,trained_on,dbs_checked_on,capacity_per_term';

test('a reviewer answers the feedback form once; a second answer is refused', async (t) => {
  await withPage(
    t,
    async (page, context) => {
      // The pool: one Hackney reviewer who leads primary reviews in London.
      const reviewer = `rowan-${randomUUID()}@example.org`;
      const trained = isoDateFromToday(-100);
      await signInAs(page, 'coordinator');
      await page.goto('/console/reviewers');
      await page
        .getByLabel('Or paste its lines here')
        .fill(`${HEADER}\nRowan Hale,${reviewer},900101,204,london,primary,mainstream,yes,${trained},${trained},2`);
      await clickAndWait(page, page.getByRole('button', { name: 'Import' }));
      assert.match(await page.locator('#notice').innerText(), /^Imported 1 reviewer/);

      // A Camden primary asks; Rowan is offered the review and accepts it.
      const school = uniqueEmail('revfeedback');
      const schoolName = `Camden Lock Primary ${Date.now().toString(36).toUpperCase()}`;
      const reference = await sendReviewRequest(school, apiSchool(schoolName), {
        focus_areas: ['outcomes', 'leadership'],
        learning_goal: 'How well we support pupils with SEMH needs.',
        prefix: 'revfeedback',
      });
      await statusLinkFromMail(school);
      const [offer] = await mailWithSubject(schoolName);
      assert.deepEqual(offer.to, [reviewer], 'the offer goes to the pool’s reviewer');
      await acceptOffer(page, offer, await visitDay(offer, 30, 40), reference);

      // The report is final: the reviewer's email opens the reviewer's form.
      await finalReport(reference);
      const [link] = await feedbackLinks(reference, [reviewer]);
      await page.goto(link);
      assert.equal((await page.locator('h1').innerText()).trim(), `Your feedback on your review of ${schoolName}`);
      assert.match(await page.locator('main').innerText(), /the school never see them/);
      assert.match(await page.locator('main').innerText(), /How much did you take back to your own school\?/);
      assert.equal(await page.locator('#useful-5').count(), 0, 'not the school’s questions');
      await expectNoAxeViolations(page, 'reviewer feedback form');

      // One question left out: it is named, the others and the comment are kept, nothing stored.
      await page.locator('#went_well-4').check();
      await page.locator('#prepared-3').check();
      await page.locator('#comment').fill('Our own provision map now follows theirs.');
      await clickAndWait(page, page.getByRole('button', { name: 'Send your feedback' }));
      const summary = page.locator('.error-summary');
      assert.equal(await summary.locator('li').count(), 1);
      assert.match(await summary.innerText(), /How much did you take back to your own school/);
      assert.equal(await page.locator('#went_well-4').isChecked(), true);
      assert.equal(await page.locator('#comment').inputValue(), 'Our own provision map now follows theirs.');
      await expectNoAxeViolations(page, 'reviewer feedback form with an error');

      // Answered: thanked; the link then refuses a second answer, however it comes.
      await answerOnce(page, context, link, { went_well: 4, prepared: 3, took_back: 5 }, 'reviewer feedback');
    },
    { javaScriptEnabled: false },
  );

  // The one answer is what the programme sees: the reviewers' row counts one, scored 5.
  await withPage(
    t,
    async (page) => {
      await signInAs(page, 'viewer');
      const row = page.locator('#table-feedback tbody tr', { hasText: 'How much did you take back to your own school?' });
      let cells = [];
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
        await page.goto('/console/insights');
        cells = (await row.locator('td').allInnerTexts()).map((c) => c.trim());
        if (cells[1] === '1') break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      assert.deepEqual(cells, ['Reviewers', '1', '5.0', '0', '0', '0', '0', '1']);
    },
    { javaScriptEnabled: false },
  );
});
