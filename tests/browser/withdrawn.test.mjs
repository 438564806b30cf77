// Access ends when the review ends: a school's request (sent through the real form) is offered
// to a reviewer, then a coordinator withdraws it in the console. The school's status page says
// it was withdrawn, when, and what becomes of its data; the reviewer's link answers 410 with
// the page every reviewer link of a withdrawn review answers (offer or review link alike).
// Both pages are audited with axe.
//
// The request's windows are months ahead (as console_request.test.mjs's), and its withdrawal
// frees the place its open offer held in the shared demo pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { signInAs } from './console_session.mjs';
import { mailWithSubject, OFFER_LINK } from './review.mjs';
import {
  clickAndWait, sendRequestMonthsAhead, statusLinkFromMail, uniqueEmail, uniqueSchoolName,
} from './school.mjs';

useBrowser();

test('a withdrawn request: the status page says so, the reviewer link is refused', async (t) => {
  await withPage(
    t,
    async (page) => {
      const email = uniqueEmail('withdrawn');
      const schoolName = uniqueSchoolName();
      const reference = await sendRequestMonthsAhead(page, { email, schoolName });
      const statusLink = await statusLinkFromMail(email);
      const [offer] = await mailWithSubject(schoolName);
      const offerLink = (offer.links ?? []).find((href) => OFFER_LINK.test(href));
      assert.ok(offerLink, 'the offer has an /offers/ link');

      await signInAs(page, 'coordinator');
      await page.goto(`/console/requests/${reference}`);
      await page.getByLabel('Why is the request withdrawn?').fill('The school asked us to stop.');
      await clickAndWait(page, page.getByRole('button', { name: 'Withdraw the request' }));
      assert.equal((await page.locator('#stage').innerText()).trim(), 'Withdrawn');

      await page.goto(statusLink);
      const notice = page.locator('.notice');
      assert.equal((await notice.locator('h2').innerText()).trim(), 'This request was withdrawn');
      const text = await notice.innerText();
      assert.match(text, /We withdrew this request on \d{1,2} [A-Z][a-z]+ \d{4}\. Nothing more will happen with it/);
      // Every request has a purge date (issue 16, item 3): the page gives it.
      assert.match(text, /are kept until \d{1,2} [A-Z][a-z]+ \d{4} and then deleted/);
      assert.doesNotMatch(await page.locator('.timeline').innerText(), /Finding a reviewer/);
      await expectNoAxeViolations(page, 'status page, withdrawn');

      const refused = await page.goto(offerLink);
      assert.equal(refused.status(), 410);
      assert.equal((await page.locator('h1').innerText()).trim(), 'This review was withdrawn');
      assert.match(await page.locator('main').innerText(), /This review was withdrawn on .+; its files are no longer available to you\./);
      await expectNoAxeViolations(page, 'reviewer link, review withdrawn');
    },
    { javaScriptEnabled: false },
  );
});
