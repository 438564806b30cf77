// Replacing a booked lead who dropped out, in the console: a school's request is booked through
// the real pages (the school's form, the matcher's offer, the reviewer's acceptance on the offer
// page), then a coordinator opens it, sends the replacement with nobody chosen (a per-field
// error), chooses a reviewer who passes every hard rule on the booked day, and sees the
// confirmation and the new offer waiting on the page. The old lead gets the calendar's
// cancellation. axe in every state, the error state included.
//
// Its windows are 300 to 340 days away, a term no other file books, so the places it holds in
// the shared demo pool take nobody else's; it withdraws the request at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, expectNoAxeViolations, readMail, useBrowser, withPage } from './harness.mjs';
import { signInAs } from './console_session.mjs';
import { acceptOffer, mailWithSubject, visitDay } from './review.mjs';
import { clickAndWait, confirmRequest, fillValidRequest, isoDateFromToday, uniqueEmail } from './school.mjs';

useBrowser();

const WINDOW = [300, 310];

async function sendRequest(page) {
  await page.goto(baseUrl() + '/request');
  await fillValidRequest(page, { email: uniqueEmail('replace') });
  await page.fill('#window_1_start', isoDateFromToday(WINDOW[0]));
  await page.fill('#window_1_end', isoDateFromToday(WINDOW[1]));
  await page.fill('#window_2_start', isoDateFromToday(330));
  await page.fill('#window_2_end', isoDateFromToday(340));
  await clickAndWait(page, page.getByRole('button', { name: 'Send request' }));
  assert.equal((await page.locator('h1').innerText()).trim(), 'Request sent');
  const reference = (await page.locator('.panel__reference').innerText()).trim();
  await confirmRequest(reference);
  return reference;
}

test('a coordinator replaces a booked lead who dropped out with a reviewer who passes every rule', async (t) => {
  await withPage(
    t,
    async (page) => {
      const reference = await sendRequest(page);
      const [offer] = await mailWithSubject(reference, { where: (m) => m.subject.startsWith('Can you review') });
      const day = await visitDay(offer, WINDOW[0], WINDOW[1]);
      await acceptOffer(page, offer, day, reference);
      const oldLead = offer.to[0];

      await signInAs(page, 'coordinator');
      await page.goto(`/console/requests/${reference}`);
      const lead = (await page.locator('dt:text-is("Lead reviewer") + dd').innerText()).split(',')[0];
      assert.equal(await page.getByRole('heading', { name: 'Replace the lead reviewer' }).count(), 1);
      await expectNoAxeViolations(page, 'request page, booked');

      const replace = page.getByRole('button', { name: 'Replace the lead reviewer' });
      await clickAndWait(page, replace);
      assert.match(await page.locator('.error-summary').innerText(), /Choose the reviewer to offer the review to/);
      assert.match(await page.locator('#lead-reviewer-error').innerText(), /Choose the reviewer/);
      assert.match(await page.locator('dt:text-is("Lead reviewer") + dd').innerText(), new RegExp(`^${lead},`), 'nothing changed');
      await expectNoAxeViolations(page, 'request page, replacement with nobody chosen');

      const choice = page.locator('#lead-reviewers input[type=radio]').first();
      assert.equal(await choice.count(), 1, 'someone passes every hard rule on the booked day');
      const chosen = (await page.locator(`label[for="${await choice.getAttribute('id')}"]`).innerText()).trim();
      assert.notEqual(chosen, lead);
      await choice.check();
      await clickAndWait(page, page.getByRole('button', { name: 'Replace the lead reviewer' }));
      assert.match(await page.locator('.notice').innerText(), /The lead reviewer has been released/);
      assert.match(await page.locator('dt:text-is("Offer waiting for an answer") + dd').innerText(), new RegExp(`^${chosen},`));
      assert.match(await page.locator('dt:text-is("Lead reviewer") + dd').innerText(), /^None: a new lead is sought for/);
      assert.match(await page.locator('#audit').innerText(), new RegExp(`replaced the lead reviewer ${lead} by an offer to ${chosen} for ${day}`));
      assert.equal(await page.getByRole('heading', { name: 'Replace the lead reviewer' }).count(), 0);
      await expectNoAxeViolations(page, 'request page, lead replaced');

      const mails = await readMail(oldLead, { timeoutMs: 15_000 });
      assert.ok(
        mails.some((m) => m.subject.startsWith('Visit cancelled for you')),
        `${oldLead} was not told the visit is off for them`,
      );

      // Withdrawn, so the new offer no longer holds a place of the shared demo pool.
      await page.getByLabel('Why is the request withdrawn?').fill('A browser test is over.');
      await clickAndWait(page, page.getByRole('button', { name: 'Withdraw the request' }));
      assert.equal((await page.locator('#stage').innerText()).trim(), 'Withdrawn');
    },
    { javaScriptEnabled: false },
  );
});
