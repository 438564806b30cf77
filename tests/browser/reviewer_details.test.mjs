// Reviewers keep their own details. The public form that emails a reviewer the link to their
// details answers the same for an address in the pool and one that is not; from the emailed
// link the reviewer sets a week they are away and a school they must not review, and a bad
// field gets its own error. Every page is audited with axe.
//
// The reviewer is the first of the seeded demo pool; what they add is far ahead (an away week
// two years from today) and a URN no test's school has, so other tests booking them are not
// affected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, expectNoAxeViolations, readMail, useBrowser, withPage } from './harness.mjs';
import { clickAndWait, isoDateFromToday, uniqueEmail } from './school.mjs';

useBrowser();

const DETAILS_LINK = /\/reviewer\/details\/[^/?#]+$/;

async function demoPool() {
  const res = await fetch(`${baseUrl()}/_dev/demo/reviewers.json`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  return res.json();
}

/** Asks for the link for `email` on the form; the page's main text with the address as ADDRESS. */
async function askForLink(page, email) {
  await page.goto(baseUrl() + '/reviewer/link');
  await page.getByLabel('Your email address').fill(email);
  await clickAndWait(page, page.getByRole('button', { name: 'Email me my link' }));
  return (await page.locator('main').innerText()).replaceAll(email, 'ADDRESS');
}

test('a reviewer asks for their link, sets an away week and a conflict; the form answers any address the same', async (t) => {
  await withPage(
    t,
    async (page) => {
      const [reviewer] = await demoPool();
      await page.goto(baseUrl() + '/reviewer/link');
      await expectNoAxeViolations(page, 'link form');

      const known = await askForLink(page, reviewer.email);
      await expectNoAxeViolations(page, 'link form, taken');
      const unknown = await askForLink(page, uniqueEmail('nobody'));
      assert.equal(unknown, known, 'the answer must not tell whether an address is in the pool');
      assert.match(known, /If ADDRESS is the address of a reviewer in our pool, we have emailed it the link/);

      const mails = await readMail(reviewer.email, { timeoutMs: 15_000 });
      const link = mails.flatMap((m) => m.links ?? []).find((href) => DETAILS_LINK.test(href));
      assert.ok(link, 'the email has a /reviewer/details/ link');
      await page.goto(link);
      assert.equal((await page.locator('h1').innerText()).trim(), 'Your reviewer details');
      await expectNoAxeViolations(page, 'details page');

      // A bad field: its own error, linked from the summary; nothing saved.
      const capacity = await page.getByLabel('Reviews per term').inputValue();
      await page.getByLabel('Reviews per term').fill('eleven');
      await clickAndWait(page, page.getByRole('button', { name: 'Save your details' }));
      assert.match(await page.locator('.error-summary').innerText(), /Reviews per term: "eleven" must be a whole number from 0 to 10/);
      assert.match(await page.title(), /^Error: /);
      await expectNoAxeViolations(page, 'details page, an error');

      // An away week and a conflict.
      const from = isoDateFromToday(730);
      const to = isoDateFromToday(734);
      await page.getByLabel('Reviews per term').fill(capacity);
      const away = page.getByLabel('Dates you are away');
      await away.fill(`${(await away.inputValue()).trim()}\n${from} to ${to}`.trim());
      const conflicts = page.getByLabel('Schools you must not review');
      await conflicts.fill(`${(await conflicts.inputValue()).trim()}\n999001 I chair its governors`.trim());
      await clickAndWait(page, page.getByRole('button', { name: 'Save your details' }));
      assert.equal((await page.locator('[role=status]').innerText()).trim(), 'Your details are saved.');
      assert.match(await page.getByLabel('Dates you are away').inputValue(), new RegExp(`${from} to ${to}`));
      assert.match(await page.getByLabel('Schools you must not review').inputValue(), /999001 I chair its governors/);
      await expectNoAxeViolations(page, 'details page, saved');
    },
    { javaScriptEnabled: false },
  );
});
