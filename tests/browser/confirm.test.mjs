// Confirmed requesters: a school sends the form; the first email's link opens the request's
// page, which shows what was asked for and a "Confirm this request" button (nothing happens
// before it is pressed). With the programme holding confirmed requests, confirming leaves it
// held: the page says a coordinator checks it, and the console's request page releases it for
// matching. axe on the page before and after confirming, and on the console's held request.
//
// Holding is a programme setting, so this file runs on a runner of its own (`useOwnRunner`):
// no other file sees its requests held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { signInAs } from './console_session.mjs';
import { useOwnRunner } from './own_runner.mjs';
import { clickAndWait, fillValidRequest, statusLinkFromMail, uniqueEmail } from './school.mjs';

useOwnRunner();
useBrowser();

test('a request waits for its contact to confirm it, then for a coordinator to release it', async (t) => {
  await withPage(
    t,
    async (page) => {
      // The coordinator holds every confirmed request (a first save names the programme).
      await signInAs(page, 'coordinator');
      await page.goto('/console/settings');
      await page.check('#hold_confirmed_requests');
      await page.locator('#name').fill('Camden SEND Review');
      await page.locator('#contact_email').fill('send-review@camden.example');
      await clickAndWait(page, page.getByRole('button', { name: 'Save settings' }));
      assert.match(await page.locator('#saved').innerText(), /^Saved as version/);

      const email = uniqueEmail('confirm');
      await page.goto('/request');
      await fillValidRequest(page, { email });
      await clickAndWait(page, page.getByRole('button', { name: 'Send request' }));
      const reference = (await page.locator('.panel__reference').innerText()).trim();
      const statusLink = await statusLinkFromMail(email, { confirm: false });

      // Before: the summary and the button; opening the page changes nothing.
      await page.goto(statusLink);
      const notice = page.locator('#confirm');
      assert.equal((await notice.locator('h2').innerText()).trim(), 'Confirm your request');
      assert.match(await notice.innerText(), /deleted on \d{1,2} [A-Z][a-z]+ \d{4}/);
      assert.match(await page.locator('.timeline').innerText(), /Confirm your request\s+In progress/);
      await expectNoAxeViolations(page, 'status page, waiting for confirmation');
      await page.goto(statusLink);
      assert.equal(await page.locator('#confirm').count(), 1, 'still waiting after a second look');

      // After: held for a coordinator.
      await clickAndWait(page, page.getByRole('button', { name: 'Confirm this request' }));
      assert.equal(await page.locator('#confirm').count(), 0);
      assert.match(await page.locator('.timeline').innerText(), /A coordinator checks every request before we look for a reviewer/);
      await expectNoAxeViolations(page, 'status page, confirmed and held');

      await page.goto(`/console/requests/${reference}`);
      assert.equal((await page.locator('#stage').innerText()).trim(), 'Held: release for matching');
      await expectNoAxeViolations(page, 'request page, held');
      await clickAndWait(page, page.getByRole('button', { name: 'Release for matching' }));
      assert.notEqual((await page.locator('#stage').innerText()).trim(), 'Held: release for matching');
    },
    { javaScriptEnabled: false },
  );
});
