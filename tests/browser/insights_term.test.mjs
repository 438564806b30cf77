// The insights page shows the exact numbers of a term seeded through the product's own paths
// (issue 17), on a runner of its own (`useOwnRunner`: an empty table, an empty pool, so nobody
// can be matched and nothing of any other file is counted). Four schools ask for a review this
// term; three reports are made final (`POST /_dev/demo/final-report`, booking a stand-in lead);
// two of those schools answer the feedback form. The tables then hold exactly those numbers,
// every chart's bars are its table's, the CSV says the same, and axe passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { openAtStage, signInAs } from './console_session.mjs';
import { answerFeedback, feedbackLinks, finalReport } from './feedback.mjs';
import { useOwnRunner } from './own_runner.mjs';
import { apiSchool, sendReviewRequest } from './review.mjs';
import { statusLinkFromMail, uniqueEmail } from './school.mjs';

useOwnRunner();
useBrowser();

/** A school of `phase` and `type` asks for a review of `focus_areas`: its reference and contact. */
async function asks(name, phase, type, focus_areas) {
  const email = uniqueEmail('term');
  const reference = await sendReviewRequest(email, apiSchool(name, { phase, type }), {
    focus_areas,
    learning_goal: 'How well our graduated approach works.',
    prefix: 'term',
  });
  await statusLinkFromMail(email);
  return { reference, email };
}

/** Table `#table-<id>` as [label, value] rows. */
async function table(page, id) {
  const rows = await page.locator(`#table-${id} tbody tr`).all();
  return Promise.all(rows.map(async (row) => [
    (await row.locator('th').innerText()).trim(),
    Number((await row.locator('td').first().innerText()).trim()),
  ]));
}

/** The non-zero rows of table `id`, as an object. */
async function counted(page, id) {
  return Object.fromEntries((await table(page, id)).filter(([, value]) => value !== 0));
}

/** The feedback table's cells of question `text` (side, answers, mean, then how many gave 1 to 5). */
async function scores(page, text) {
  const row = page.locator('#table-feedback tbody tr', { hasText: text });
  return (await row.locator('td').allInnerTexts()).map((c) => c.trim());
}

test('the insights page shows the exact numbers of a seeded term, its charts and its CSV the same', async (t) => {
  const a = await asks('Primrose Hill Primary', 'primary', 'mainstream', 'all');
  const b = await asks('Regent Special School', 'primary', 'special', ['outcomes', 'leadership']);
  const c = await asks('Kentish Town Academy', 'secondary', 'mainstream', ['outcomes']);
  const d = await asks('Camden Road High', 'secondary', 'mainstream', ['outcomes']);

  await withPage(
    t,
    async (page) => {
      // The pool is empty: each request stops at "nobody eligible" before any report is made.
      await signInAs(page, 'coordinator');
      for (const { reference } of [a, b, c, d]) await openAtStage(page, reference, 'Nobody eligible');
      for (const { reference } of [a, b, c]) await finalReport(reference);
      const [linkA] = await feedbackLinks(a.reference, [a.email]);
      const [linkB] = await feedbackLinks(b.reference, [b.email]);
      assert.equal(await answerFeedback(page, linkA, { useful: 5, done_with: 4, next_steps: 4 }), 'Thank you for your feedback');
      assert.equal(await answerFeedback(page, linkB, { useful: 3, done_with: 4, next_steps: 2 }), 'Thank you for your feedback');
    },
    { javaScriptEnabled: false },
  );

  await withPage(
    t,
    async (page, context) => {
      await signInAs(page, 'viewer');
      // The stream brings the counters up to date within moments.
      const useful = 'How useful was the review to your school?';
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
        await page.goto('/console/insights');
        const funnel = await counted(page, 'funnel');
        if (funnel['Final report'] === 3 && (await scores(page, useful))[1] === '2') break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      assert.deepEqual(await table(page, 'funnel'), [['Received', 4], ['Booked', 3], ['Final report', 3]]);
      assert.deepEqual(await counted(page, 'stage'), { Booked: 3, 'Needs attention': 1 });
      assert.deepEqual(Object.values(await counted(page, 'review_type')), [4]);
      assert.deepEqual(await counted(page, 'phase'), { Primary: 2, Secondary: 2 });
      assert.deepEqual(await counted(page, 'school_type'), { Mainstream: 3, Special: 1 });
      // Every area of a final report says "even better if" (the typical report): outcomes in
      // all three, leadership in two, each other area in the whole-school review alone.
      const ebi = await table(page, 'ebi');
      assert.equal(ebi.length, 8, JSON.stringify(ebi));
      assert.deepEqual(ebi[0], ['Outcomes for learners with SEND', 3]);
      assert.match(ebi[1][0], /^Leadership/);
      assert.equal(ebi[1][1], 2);
      assert.deepEqual(ebi.slice(2).map(([, value]) => value), [1, 1, 1, 1, 1, 1]);
      const days = await page.locator('#table-days tbody tr').evaluateAll((rows) =>
        rows.map((row) => [row.querySelector('th').innerText.trim(), row.querySelector('td').innerText.trim()]));
      assert.deepEqual(days, [['Booked', '3'], ['Visit', '3'], ['Final report', '3']]);
      assert.deepEqual(await scores(page, useful), ['Schools', '2', '4.0', '0', '0', '1', '0', '1']);
      assert.deepEqual(await scores(page, 'not done to them'), ['Schools', '2', '4.0', '0', '0', '0', '2', '0']);
      assert.deepEqual(await scores(page, 'next steps'), ['Schools', '2', '3.0', '0', '1', '0', '1', '0']);
      assert.deepEqual(await scores(page, 'take back to your own school'), ['Reviewers', '0', '–', '0', '0', '0', '0', '0']);
      await expectNoAxeViolations(page, 'insights page of a seeded term');

      // Every chart's bars are its table's numbers.
      const charts = await page.locator('svg.chart').all();
      assert.equal(charts.length, 6);
      for (const svg of charts) {
        const id = (await svg.getAttribute('id')).replace(/^chart-/, '');
        const bars = await svg.locator('rect.bar').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('data-value'))));
        assert.deepEqual(bars, (await table(page, id)).map(([, value]) => value), `chart ${id} shows its table's numbers`);
      }

      // The CSV has the same numbers.
      const csv = await context.request.get('/console/insights.csv');
      assert.equal(csv.status(), 200);
      const lines = (await csv.text()).trim().split('\n').map((line) => line.split(',').slice(1).join(','));
      for (const line of [
        'From request to final report,Received,4',
        'From request to final report,Booked,3',
        'From request to final report,Final report,3',
        'Requests by stage now,Booked,3',
        'Requests by stage now,Needs attention,1',
        'Requests by phase,Primary,2',
        'Requests by phase,Secondary,2',
        'Requests by school type,Mainstream,3',
        'Requests by school type,Special,1',
        '"Where final reports say ""even better if""",Outcomes for learners with SEND,3',
        `Feedback from schools,${useful},4.0`,
        'Feedback from schools,How clear are your next steps after the report?,3.0',
      ]) {
        assert.ok(lines.includes(line), `the CSV has "${line}": ${lines.join(' | ')}`);
      }
    },
    { javaScriptEnabled: false },
  );
});
