// The school writes its self-evaluation from its private status page: with JavaScript off it
// saves with the Save button; with JavaScript on the page also saves by itself as the school
// types (autosave) and counts the characters left. Too much text is refused with an error
// linked from the summary, and nothing typed is lost. Every page state is audited with axe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { clickAndWait, fillValidRequest, statusLinkFromMail, uniqueEmail } from './school.mjs';

useBrowser();

async function statusLinkOfNewRequest(page) {
  const email = uniqueEmail('selfeval');
  await page.goto(baseUrl() + '/request');
  await fillValidRequest(page, { email });
  await clickAndWait(page, page.getByRole('button', { name: 'Send request' }));
  assert.ok(!(await page.title()).startsWith('Too many requests'), 'the service refused the request as rate-limited (see README)');
  return statusLinkFromMail(email);
}

for (const javaScriptEnabled of [false, true]) {
  const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off';

  test(`the school writes and saves its self-evaluation (${mode})`, async (t) => {
    await withPage(
      t,
      async (page) => {
        await page.goto(await statusLinkOfNewRequest(page));
        assert.match(await page.locator('main').innerText(), /You have not started your self-evaluation\./);
        await clickAndWait(page, page.getByRole('link', { name: 'Write your self-evaluation' }));
        assert.equal((await page.locator('h1').innerText()).trim(), 'Your self-evaluation');
        const main = await page.locator('main').innerText();
        assert.ok(main.includes('How do learners with SEND progress compared with their starting points'), 'the mainstream prompts are shown');
        await expectNoAxeViolations(page, `self-evaluation form (${mode})`);

        const outcomes = page.locator('#evaluation_outcomes');
        const text = `Most pupils with SEND make good progress from their starting points (${mode}).`;
        await outcomes.fill(text);
        if (javaScriptEnabled) {
          // The page saves by itself a moment after typing stops, and counts what is left.
          await page.waitForFunction(() => /Saved at/.test(document.getElementById('autosave-status')?.textContent ?? ''), null, { timeout: 10_000 });
          assert.match(await page.locator('#evaluation_outcomes-count').innerText(), /^\d+ characters left$/);
          await page.reload({ waitUntil: 'load' });
          assert.equal(await outcomes.inputValue(), text, 'the autosaved text is there after a reload');
        } else {
          await clickAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
          assert.match(await page.locator('main').innerText(), /Your changes are saved\./);
          assert.equal(await outcomes.inputValue(), text);
        }
        await expectNoAxeViolations(page, `self-evaluation saved (${mode})`);

        // Too much text: refused, linked from the summary, and what was typed is kept.
        const tooLong = 'x'.repeat(4001);
        await page.locator('#evaluation_leadership').fill(tooLong);
        const refused = await clickAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
        assert.equal(refused?.status(), 422);
        assert.ok((await page.title()).startsWith('Error: '), `error <title> is "${await page.title()}"`);
        const summaryLinks = await page.locator('.error-summary a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
        assert.deepEqual(summaryLinks, ['#evaluation_leadership']);
        assert.match(await page.locator('#evaluation_leadership-error').innerText(), /4000 characters or fewer/);
        assert.equal((await page.locator('#evaluation_leadership').inputValue()).length, 4001, 'the text typed was kept');
        assert.equal(await outcomes.inputValue(), text);
        await expectNoAxeViolations(page, `self-evaluation with an error (${mode})`);
      },
      { javaScriptEnabled },
    );
  });
}
