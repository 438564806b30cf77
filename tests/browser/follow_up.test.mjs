// A follow-up visit's report in the browser. A review's report is made final (the local
// runner's `POST /_dev/demo/final-report`: the typical example, four recommendations); the
// school, without JavaScript, asks for a follow-up visit from its status page; the original
// lead is offered it first and accepts a day next term; on the (moved) visit day the lead opens
// the follow-up template: progress on each of the four recommendations, with the school's
// action plan beside each. Sending it incomplete shows each missing answer; complete, it goes
// to the school, whose factual-check page shows the progress. Every page state is audited with
// axe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, readMail, useBrowser, withPage } from './harness.mjs';
import { clickAndWait, isoDateFromToday } from './school.mjs';
import { acceptOffer, mailWithSubject, OFFER_LINK, postJson, reviewOnTheVisitDay, visitDay, visitToday } from './review.mjs';

useBrowser();

/** The four recommendations of the typical example report, as the original report words them. */
const RECOMMENDATIONS = 4;

test('the original lead writes the follow-up report: progress on each recommendation beside the action plan', async (t) => {
  let review;
  let followUp;
  await withPage(
    t,
    async (page) => {
      review = await reviewOnTheVisitDay(page, 'followup');
      const final = await postJson('/_dev/demo/final-report', { reference: review.reference });
      assert.equal(final.recommendations, RECOMMENDATIONS);
    },
  );

  // The school keeps its action plan and asks for a follow-up visit, without JavaScript.
  await withPage(
    t,
    async (page) => {
      await page.goto(review.statusLink);
      await clickAndWait(page, page.getByRole('link', { name: 'Update your action plan' }));
      await page.locator('#owner-1').fill('Ms Park (SENCO)');
      await page.locator('#status-1').selectOption('in_progress');
      await page.locator('#notes-1').fill('Termly provision map meetings started in January.');
      await clickAndWait(page, page.getByRole('button', { name: 'Save' }));
      assert.match(await page.locator('main').innerText(), /Your action plan is saved\./);

      await page.goto(review.statusLink);
      await page.locator('summary', { hasText: 'Ask for a follow-up visit' }).click();
      const earliest = await page.locator('#window_1_start').getAttribute('min');
      const fromToday = (iso) => Math.round((Date.parse(`${iso}T12:00:00Z`) - Date.parse(`${isoDateFromToday(0)}T12:00:00Z`)) / 86_400_000);
      // A window a term away from the review's visit, so the lead's term is not full.
      const start = Math.max(fromToday(earliest), 100);
      followUp = { window: [start, start + 14] };
      await page.locator('#window_1_start').fill(isoDateFromToday(start));
      await page.locator('#window_1_end').fill(isoDateFromToday(start + 14));
      await page.locator('#window_2_start').fill(isoDateFromToday(start + 30));
      await page.locator('#window_2_end').fill(isoDateFromToday(start + 44));
      await clickAndWait(page, page.getByRole('button', { name: 'Ask for a follow-up visit' }));
      const text = await page.locator('main').innerText();
      const asked = text.match(/You asked for a follow-up visit\. Its reference is (SR-[A-Z0-9]{4}-[A-Z0-9]{2})/);
      assert.ok(asked, `the status page gives the follow-up's reference: ${text}`);
      followUp.reference = asked[1];
      await expectNoAxeViolations(page, 'status page, follow-up asked');
    },
    { javaScriptEnabled: false },
  );

  // The original lead is offered it, accepts, and the visit is moved to today.
  await withPage(t, async (page) => {
    const [offer] = await mailWithSubject(review.schoolName, {
      where: (m) => (m.links ?? []).some((href) => OFFER_LINK.test(href)) && m.text.includes(followUp.reference),
    });
    followUp.reviewLink = await acceptOffer(page, offer, await visitDay(offer, ...followUp.window), followUp.reference);
    await visitToday(followUp.reference);
    await page.goto(followUp.reviewLink);
    assert.match(await page.locator('main').innerText(), new RegExp(`This visit follows up review ${review.reference}`));
    assert.equal(await page.locator('#follow-up + p + ol > li').count(), RECOMMENDATIONS, 'the recommendations it reviews');
    await expectNoAxeViolations(page, 'review page of a follow-up visit');
  });

  // The follow-up template, without JavaScript.
  await withPage(
    t,
    async (page) => {
      const editor = `${followUp.reviewLink}/report`;
      await page.goto(editor);
      assert.equal((await page.locator('h1').innerText()).trim(), `Follow-up report: ${review.schoolName}`);
      const main = await page.locator('main').innerText();
      assert.match(main, /Progress on the recommendations/);
      assert.match(main, /In progress, led by Ms Park \(SENCO\)/, 'the action plan is shown beside its recommendation');
      assert.match(main, /Termly provision map meetings started in January\./);
      assert.doesNotMatch(main, /What went well/, 'no focus areas on a follow-up');
      for (let n = 1; n <= RECOMMENDATIONS; n += 1) {
        assert.equal(await page.locator(`#progress-${n}-rating`).count(), 1, `a rating for recommendation ${n}`);
        assert.equal(await page.locator(`#progress-${n}-seen`).count(), 1, `a box for recommendation ${n}`);
      }
      await expectNoAxeViolations(page, 'follow-up report editor, empty');

      // Sending it incomplete: each missing answer, linked to its box.
      await page.locator('#progress-1-rating').selectOption('achieved');
      await page.fill('#progress-1-seen', 'Every class plans with the provision map.');
      await clickAndWait(page, page.getByRole('button', { name: 'Send the draft to the school to check' }));
      assert.match(await page.title(), /^Error: /);
      const summary = await page.locator('.error-summary').innerText();
      assert.match(summary, /Choose how far recommendation 2 has got/);
      assert.match(summary, /Enter the progress seen on recommendation 4/);
      assert.doesNotMatch(summary, /recommendation 1\b/, 'recommendation 1 is answered');
      assert.equal(await page.inputValue('#progress-1-seen'), 'Every class plans with the provision map.', 'saved text stays');
      await expectNoAxeViolations(page, 'follow-up report editor, incomplete');

      for (let n = 2; n <= RECOMMENDATIONS; n += 1) {
        await page.locator(`#progress-${n}-rating`).selectOption('some_progress');
        await page.fill(`#progress-${n}-seen`, `Progress seen on recommendation ${n}: a start in most classes.`);
      }
      await page.fill('#summary', 'The school has acted on its review with energy.');
      await clickAndWait(page, page.getByRole('button', { name: 'Save' }));
      assert.match(await page.locator('main').innerText(), /Your changes are saved\./);
      await clickAndWait(page, page.getByRole('button', { name: 'Send the draft to the school to check' }));
      assert.match(await page.locator('main').innerText(), /The report is not open for editing/);
    },
    { javaScriptEnabled: false },
  );

  // The school checks the progress for factual accuracy.
  await withPage(
    t,
    async (page) => {
      const mails = await readMail(review.email, { timeoutMs: 15_000, minCount: 1 });
      const statusLink = mails
        .filter((m) => m.text.includes(followUp.reference))
        .flatMap((m) => m.links ?? [])
        .find((href) => /\/status\/[A-Za-z0-9_-]{43}$/.test(href));
      assert.ok(statusLink, 'the follow-up has its own status link');
      await page.goto(statusLink);
      await clickAndWait(page, page.getByRole('link', { name: 'Check your draft report' }));
      const draft = await page.locator('main').innerText();
      assert.match(draft, /Progress on the recommendations/);
      assert.match(draft, /Progress: Achieved/);
      assert.match(draft, /Every class plans with the provision map\./);
      assert.match(draft, new RegExp(`Follows up\\s+review ${review.reference}`));
      assert.equal(await page.locator('[id="comment.progress"]').count(), 1, 'the school can comment on the progress');
      await expectNoAxeViolations(page, 'factual check, follow-up draft');
    },
    { javaScriptEnabled: false },
  );
});
