// The school keeps its action plan once its report is final: from its status page it opens
// the plan (one action per recommendation), gets an error linked from the summary for too long
// a text (nothing it typed is lost), saves; with JavaScript on the page also saves by itself
// as the school types and counts the characters left. A second window still showing an older
// version cannot overwrite the newer one: it sees both. Every page state is audited with axe.
//
// The request is sent through the JSON API (a Leeds secondary school, so it does not use the
// demo reviewers other files rely on) and its report is made final by the local runner's
// `POST /_dev/demo/final-report`: a report opens only on the day of the visit, which is weeks
// away in any request a test can make.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { clickAndWait, isoDateFromToday, statusLinkFromMail, uniqueEmail, uniqueUrn } from './school.mjs';
import { postJson } from './review.mjs';

useBrowser();

/** A school whose review's report is final; its status link. */
async function schoolWithFinalReport() {
  const email = uniqueEmail('actionplan');
  const { reference } = await postJson(
    '/api/v1/review-requests',
    {
      school: {
        urn: uniqueUrn(), name: 'Leeds Beck Academy', phase: 'secondary', type: 'mainstream',
        local_authority_code: 383, postcode: 'LS1 4AP', number_on_roll: 900,
        sen_support_percent: 13.1, ehc_plan_percent: 2.4, areas_of_need: ['cognition_and_learning'],
      },
      review_type: 'send_review', focus_areas: 'all',
      visit_windows: [
        { start: isoDateFromToday(30), end: isoDateFromToday(40) },
        { start: isoDateFromToday(60), end: isoDateFromToday(70) },
      ],
      learning_goal: 'How well our provision map reflects what pupils receive.',
      contact: { name: 'Sam Hill', role: 'SENCO', email },
      declarations: { no_pupil_named: true, privacy_notice_accepted: true },
    },
    { 'idempotency-key': `action-plan-${email}` },
  );
  const final = await postJson('/_dev/demo/final-report', { reference });
  assert.equal(final.recommendations, 4);
  return statusLinkFromMail(email);
}

for (const javaScriptEnabled of [false, true]) {
  const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off';

  test(`the school keeps its action plan, and an old window overwrites nothing (${mode})`, async (t) => {
    await withPage(
      t,
      async (page, context) => {
        await page.goto(await schoolWithFinalReport());
        assert.match(await page.locator('main').innerText(), /Your report has 4 recommendations: 4 not started\./);
        await expectNoAxeViolations(page, `status page with a final report (${mode})`);
        await clickAndWait(page, page.getByRole('link', { name: 'Update your action plan' }));
        assert.equal((await page.locator('h1').innerText()).trim(), 'Your action plan');
        assert.equal(await page.locator('legend').count(), 4, 'one action per recommendation');
        await expectNoAxeViolations(page, `action plan (${mode})`);

        const owner = page.locator('#owner-1');
        const notes = page.locator('#notes-1');
        await owner.fill('Ms Hill (SENCO)');
        await page.locator('#target_date-1').fill(isoDateFromToday(120));
        await page.locator('#status-1').selectOption('in_progress');
        const note = `Training for all teaching assistants is booked (${mode}).`;
        await notes.fill(note);
        if (javaScriptEnabled) {
          // The page saves by itself a moment after typing stops, and counts what is left.
          await page.waitForFunction(() => /Saved at/.test(document.getElementById('autosave-status')?.textContent ?? ''), null, { timeout: 10_000 });
          assert.match(await page.locator('#notes-1-count').innerText(), /^\d+ characters left$/);
          await page.reload({ waitUntil: 'load' });
        } else {
          await clickAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
          assert.match(await page.locator('main').innerText(), /Your action plan is saved\./);
        }
        assert.equal(await owner.inputValue(), 'Ms Hill (SENCO)');
        assert.equal(await notes.inputValue(), note);
        assert.equal(await page.locator('#status-1').inputValue(), 'in_progress');
        await expectNoAxeViolations(page, `action plan saved (${mode})`);

        // Too long an owner: refused, linked from the summary, and what was typed is kept.
        const tooLong = 'x'.repeat(121);
        await page.locator('#owner-2').fill(tooLong);
        const refused = await clickAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
        assert.equal(refused?.status(), 422);
        assert.ok((await page.title()).startsWith('Error: '), `error <title> is "${await page.title()}"`);
        const summaryLinks = await page.locator('.error-summary a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
        assert.deepEqual(summaryLinks, ['#owner-2']);
        assert.match(await page.locator('#owner-2-error').innerText(), /120 characters or fewer/);
        assert.equal(await page.locator('#owner-2').inputValue(), tooLong, 'the text typed was kept');
        assert.equal(await notes.inputValue(), note);
        await expectNoAxeViolations(page, `action plan with an error (${mode})`);
        await page.locator('#owner-2').fill('Headteacher');
        await clickAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
        assert.match(await page.locator('main').innerText(), /Your action plan is saved\./);

        // A second window opened now, then the first saves again: the second's Save is refused
        // and shows both versions.
        const old = await context.newPage();
        await old.goto(page.url().replace(/\?saved=1$/, ''));
        await page.locator('#status-1').selectOption('done');
        await clickAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
        await old.locator('#owner-1').fill('Mr Shah');
        const conflict = await clickAndWait(old, old.getByRole('button', { name: 'Save', exact: true }));
        assert.equal(conflict?.status(), 409);
        const main = await old.locator('main').innerText();
        assert.match(main, /Someone else saved a newer version/);
        assert.equal(await old.locator('#owner-1').inputValue(), 'Mr Shah', 'its own text is kept');
        assert.match(main, /The saved version says:[\s\S]*Ms Hill \(SENCO\)/);
        await expectNoAxeViolations(old, `action plan after a conflict (${mode})`);
        await page.reload({ waitUntil: 'load' });
        assert.equal(await page.locator('#owner-1').inputValue(), 'Ms Hill (SENCO)', 'nothing of the old window was stored');
        assert.equal(await page.locator('#status-1').inputValue(), 'done');

        await clickAndWait(page, page.getByRole('link', { name: 'Back to your request' }));
        assert.match(await page.locator('main').innerText(), /Your report has 4 recommendations: 3 not started, 1 done\./);
      },
      { javaScriptEnabled },
    );
  });
}
