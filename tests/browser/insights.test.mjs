// Feedback once a report is final, and the programme's insights, without JavaScript. The
// school's report is made final by the local runner's `POST /_dev/demo/final-report` and its
// feedback email queued by `POST /_dev/demo/feedback-invitations` (what the lead's "Finalise"
// queues in its transaction); the school answers once: bad input is named field by field and
// stores nothing, a second answer is refused. The insights page then counts that final report
// and that answer, and every chart's bars carry exactly the numbers of the table beside it.
// (On this shared stack other files' requests count too: insights_term.test.mjs checks the
// exact numbers of a seeded term on a runner of its own.)
// Every state is audited with axe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { answerOnce, feedbackLinks, finalReport } from './feedback.mjs';
import { clickAndWait, isoDateFromToday, statusLinkFromMail, uniqueEmail, uniqueUrn } from './school.mjs';
import { postJson } from './review.mjs';
import { signInAs } from './console_session.mjs';

useBrowser();

/** A school whose report is final and whose feedback email was sent: the form's link. */
async function schoolAskedForFeedback() {
  const email = uniqueEmail('feedback');
  const { reference } = await postJson(
    '/api/v1/review-requests',
    {
      school: {
        urn: uniqueUrn(), name: 'Leeds Aire Primary', phase: 'primary', type: 'mainstream',
        local_authority_code: 383, postcode: 'LS2 7EY', number_on_roll: 380,
        sen_support_percent: 15.2, ehc_plan_percent: 3.1, areas_of_need: ['communication_and_interaction'],
      },
      review_type: 'send_review', focus_areas: 'all',
      visit_windows: [
        { start: isoDateFromToday(30), end: isoDateFromToday(40) },
        { start: isoDateFromToday(60), end: isoDateFromToday(70) },
      ],
      learning_goal: 'How well our speech and language support works.',
      contact: { name: 'Ade Bello', role: 'SENCO', email },
      declarations: { no_pupil_named: true, privacy_notice_accepted: true },
    },
    { 'idempotency-key': `feedback-${email}` },
  );
  await statusLinkFromMail(email);
  await finalReport(reference);
  const [link] = await feedbackLinks(reference, [email]);
  return link;
}

/** The number in row `label` of table `#table-<id>`. */
async function tableValue(page, id, label) {
  const row = page.locator(`#table-${id} tbody tr`, { has: page.locator('th', { hasText: label }) });
  return Number(await row.locator('td').first().innerText());
}

test('the school answers the feedback form once; the insights page counts it and its charts match their tables', async (t) => {
  await withPage(
    t,
    async (page, context) => {
      const link = await schoolAskedForFeedback();
      await page.goto(link);
      assert.match(await page.locator('h1').innerText(), /Your feedback on your school's review/);
      assert.match(await page.locator('main').innerText(), /the reviewers never see them/);
      await expectNoAxeViolations(page, 'feedback form');

      // Nothing chosen: each question is named, nothing is stored.
      await page.locator('#comment').fill('Kept after an error');
      await clickAndWait(page, page.getByRole('button', { name: 'Send your feedback' }));
      const summary = page.locator('.error-summary');
      assert.equal(await summary.locator('li').count(), 3);
      assert.equal(await page.locator('#comment').inputValue(), 'Kept after an error');
      await expectNoAxeViolations(page, 'feedback form with errors');

      // Answered: thanked; the link then refuses a second answer, however it comes.
      await answerOnce(page, context, link, { useful: 5, done_with: 4, next_steps: 4 }, 'feedback');

      // The insights page of this term: the final report and the answer are counted (the
      // stream adds them within moments), and every bar is its table's number.
      await signInAs(page, 'viewer');
      let finals = 0;
      let answers = 0;
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
        await page.goto('/console/insights');
        finals = await tableValue(page, 'funnel', 'Final report');
        answers = Number(await page.locator('#table-feedback tbody tr').first().locator('td').nth(1).innerText());
        if (finals >= 1 && answers >= 1) break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      assert.ok(finals >= 1, `final reports counted: ${finals}`);
      assert.ok(answers >= 1, `school answers counted: ${answers}`);
      assert.ok(await tableValue(page, 'funnel', 'Received') >= finals);
      await expectNoAxeViolations(page, 'insights page');
      const charts = await page.locator('svg.chart').count();
      assert.ok(charts >= 2, `charts drawn: ${charts}`);
      for (const svg of await page.locator('svg.chart').all()) {
        assert.equal(await svg.getAttribute('aria-hidden'), 'true', 'the table is the accessible form');
        const id = (await svg.getAttribute('id')).replace(/^chart-/, '');
        const bars = await svg.locator('rect.bar').evaluateAll((rects) => rects.map((r) => r.getAttribute('data-value')));
        const cells = await page.locator(`#table-${id} tbody td`).allInnerTexts();
        assert.deepEqual(bars, cells.map((c) => c.trim()), `chart ${id} shows its table's numbers`);
      }
      const csv = await context.request.get('/console/insights.csv');
      assert.equal(csv.status(), 200);
      assert.match(await csv.text(), /From request to final report,Final report,\d+/);

      // A period no list holds is named, and the current term shown.
      await page.goto('/console/insights?period=winter-2026');
      assert.match(await page.locator('.error-summary').innerText(), /no term or school year "winter-2026"/);
      await expectNoAxeViolations(page, 'insights page, bad period');
    },
    { javaScriptEnabled: false },
  );
});
