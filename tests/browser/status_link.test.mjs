// A forwarded status link is renewed: a school's request (sent through the real form) gets a new
// link from its own status page ("This link was forwarded? Get a new link"), so the old link
// answers 403 with a page that says where the new one went, and the new one (from the email)
// opens the page; then a coordinator renews it again from the console. Each new page is
// audited with axe.
//
// The request's windows are months ahead (as withdrawn.test.mjs's), and it is withdrawn at the
// end to free the place its open offer held in the shared demo pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, readMail, useBrowser, withPage } from './harness.mjs';
import { signInAs } from './console_session.mjs';
import {
  STATUS_LINK, clickAndWait, sendRequestMonthsAhead, statusLinkFromMail, uniqueEmail,
} from './school.mjs';

useBrowser();

/** The status link in the newest of `count` emails to `email`. */
async function newestStatusLink(email, count) {
  const [mail] = await readMail(email, { minCount: count, timeoutMs: 15_000 });
  assert.match(mail.subject, /a new link to your request/);
  const link = (mail.links ?? []).find((href) => STATUS_LINK.test(href));
  assert.ok(link, `the email has no status link: ${JSON.stringify(mail.links)}`);
  return link;
}

async function expectReplaced(page, link, label) {
  const refused = await page.goto(link);
  assert.equal(refused.status(), 403);
  assert.equal((await page.locator('h1').innerText()).trim(), 'This link has been replaced');
  assert.match(await page.locator('main').innerText(), /The new link was emailed to the contact named on the request/);
  await expectNoAxeViolations(page, label);
}

test('a forwarded status link: the school and then the coordinator get a new one', async (t) => {
  await withPage(
    t,
    async (page) => {
      const email = uniqueEmail('renew');
      const reference = await sendRequestMonthsAhead(page, { email });
      const first = await statusLinkFromMail(email);

      await page.goto(first);
      await expectNoAxeViolations(page, 'status page, with its new-link button');
      const renewed = await clickAndWait(page, page.getByRole('button', { name: 'Get a new link' }));
      assert.equal(renewed.status(), 200);
      assert.equal((await page.locator('h1').innerText()).trim(), 'We have emailed a new link');
      assert.match(await page.locator('main').innerText(), /no longer works, for you or for anyone it was forwarded to/);
      await expectNoAxeViolations(page, 'new link sent');
      await expectReplaced(page, first, 'status link replaced');

      const second = await newestStatusLink(email, 2);
      assert.notEqual(second, first);
      const opened = await page.goto(second);
      assert.equal(opened.status(), 200);
      assert.match(await page.locator('main').innerText(), new RegExp(reference));

      await signInAs(page, 'coordinator');
      await page.goto(`/console/requests/${reference}`);
      await clickAndWait(page, page.getByRole('button', { name: 'Send the school a new link' }));
      assert.match(await page.locator('.notice').innerText(), /old status link no longer works/);
      await expectNoAxeViolations(page, 'console request page, link renewed');
      await expectReplaced(page, second, 'status link replaced by the coordinator');
      const third = await newestStatusLink(email, 3);
      assert.equal((await page.goto(third)).status(), 200);

      await page.goto(`/console/requests/${reference}`);
      await page.getByLabel('Why is the request withdrawn?').fill('A test of link renewal.');
      await clickAndWait(page, page.getByRole('button', { name: 'Withdraw the request' }));
    },
    { javaScriptEnabled: false },
  );
});
