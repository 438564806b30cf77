// The console's request page: a coordinator opens a request from the pipeline, sees each
// reviewer against the matcher's hard rules, and offers the review to one they name (a missing
// choice is a per-field error); withdraws a request (a missing reason is an error) and erases
// it (a wrong reference typed is an error, nothing erased). A viewer reads the page with no
// actions and gets a 403 page on an action. axe in every state, error states included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, expectNoAxeViolations, readMail, useBrowser, withPage } from './harness.mjs';
import { openAtStage, signInAs } from './console_session.mjs';
import { clickAndWait, sendRequestMonthsAhead as sendRequest } from './school.mjs';

useBrowser();

async function errorSummary(page) {
  return (await page.locator('.error-summary').innerText()).trim();
}

test('a coordinator offers a request to a reviewer they name, who passes every hard rule', async (t) => {
  await withPage(
    t,
    async (page) => {
      const reference = await sendRequest(page);
      await signInAs(page, 'coordinator');
      const link = page.getByRole('link', { name: reference });
      await clickAndWait(page, link);
      assert.equal((await page.locator('h1').innerText()).split(':')[0], reference);
      await openAtStage(page, reference, 'Offered to a reviewer');
      const waiting = (await page.locator('dt:text-is("Offer waiting for an answer") + dd').innerText()).split(',')[0];
      assert.ok((await page.locator('#reviewers tbody tr').count()) > 1, 'every active reviewer is listed');
      assert.match(await page.locator('#reviewers').innerText(), /Fails: May lead/);
      await expectNoAxeViolations(page, 'request page, offered');

      await clickAndWait(page, page.getByRole('button', { name: 'Offer the review' }));
      assert.match(await errorSummary(page), /Choose the reviewer to offer the review to/);
      assert.match(await page.locator('#reviewer-error').innerText(), /Choose the reviewer/);
      await expectNoAxeViolations(page, 'request page, no reviewer chosen');

      const choices = page.locator('#reviewers input[type=radio]');
      let chosen = null;
      for (let i = 0; i < (await choices.count()); i += 1) {
        const id = await choices.nth(i).getAttribute('id');
        const name = (await page.locator(`label[for="${id}"]`).innerText()).trim();
        if (name !== waiting) {
          chosen = name;
          await choices.nth(i).check();
          break;
        }
      }
      assert.ok(chosen, `nobody but ${waiting} passes every hard rule`);
      await clickAndWait(page, page.getByRole('button', { name: 'Offer the review' }));
      assert.match(await page.locator('.notice').innerText(), /offered to the reviewer you chose/);
      assert.match(await page.locator('dt:text-is("Offer waiting for an answer") + dd').innerText(), new RegExp(`^${chosen},`));
      assert.match(await page.locator('#audit').innerText(), new RegExp(`offered to a named reviewer[\\s\\S]*offered the review to ${chosen} \\(the offer waiting for an answer was withdrawn\\)`));
      await expectNoAxeViolations(page, 'request page, offered to a named reviewer');

      const pool = await (await fetch(`${baseUrl()}/_dev/demo/reviewers.json`)).json();
      const email = pool.find((r) => r.name === chosen).email;
      const mail = await readMail(email, { timeoutMs: 15_000 });
      assert.ok(mail.some((m) => m.subject.includes(reference)), `no offer of ${reference} reached ${chosen}`);

      // Withdrawn, so the offer no longer holds a place of the shared demo pool.
      await page.getByLabel('Why is the request withdrawn?').fill('A browser test is over.');
      await clickAndWait(page, page.getByRole('button', { name: 'Withdraw the request' }));
      assert.equal((await page.locator('#stage').innerText()).trim(), 'Withdrawn');
    },
    { javaScriptEnabled: false },
  );
});

test('a coordinator withdraws a request with a reason, then erases it with its reference typed', async (t) => {
  await withPage(
    t,
    async (page) => {
      const reference = await sendRequest(page);
      await signInAs(page, 'coordinator');
      await openAtStage(page, reference, 'Offered to a reviewer');

      await clickAndWait(page, page.getByRole('button', { name: 'Withdraw the request' }));
      assert.match(await errorSummary(page), /Enter why the request is withdrawn/);
      await expectNoAxeViolations(page, 'request page, withdrawal without a reason');
      await page.getByLabel('Why is the request withdrawn?').fill('The school has closed for refurbishment.');
      await clickAndWait(page, page.getByRole('button', { name: 'Withdraw the request' }));
      assert.equal((await page.locator('#stage').innerText()).trim(), 'Withdrawn');
      assert.match(await page.locator('#timeline').innerText(), /withdrawn\s+The school has closed for refurbishment\./);
      assert.match(await page.locator('#audit').innerText(), /reason: The school has closed for refurbishment\./);
      assert.equal(await page.getByRole('button', { name: 'Withdraw the request' }).count(), 0);
      await expectNoAxeViolations(page, 'request page, withdrawn');

      await page.getByLabel(`Type the reference, ${reference}, to confirm`).fill('SR-0000-00');
      await clickAndWait(page, page.getByRole('button', { name: 'Erase the request' }));
      assert.match(await errorSummary(page), new RegExp(`Type the request's reference, ${reference}, to erase it`));
      assert.equal((await page.locator('#stage').innerText()).trim(), 'Withdrawn', 'nothing was erased');
      await expectNoAxeViolations(page, 'request page, wrong reference typed');
      await page.getByLabel(`Type the reference, ${reference}, to confirm`).fill(reference);
      await clickAndWait(page, page.getByRole('button', { name: 'Erase the request' }));
      assert.equal(await page.locator('h1').innerText(), 'The request has been erased');
      await expectNoAxeViolations(page, 'request erased');
      const gone = await page.goto(`/console/requests/${reference}`);
      assert.equal(gone.status(), 404);
    },
    { javaScriptEnabled: false },
  );
});

test('a viewer reads a request with no actions, and gets a 403 page on an action', async (t) => {
  await withPage(t, async (page) => {
    await signInAs(page, 'viewer');
    // The viewer's own anti-forgery token (the pipeline's sign-out forms carry it).
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    // A request of the demo data (so this test holds no place of the shared pool).
    const href = await page.locator('a[href^="/console/requests/"]').first().getAttribute('href');
    const reference = href.split('/').pop();
    await page.goto(href);
    const stage = (await page.locator('#stage').innerText()).trim();
    for (const button of ['Offer the review', 'Reassign', 'Withdraw the request', 'Erase the request']) {
      assert.equal(await page.getByRole('button', { name: button }).count(), 0, `a viewer sees "${button}"`);
    }
    assert.equal(await page.locator('dt:text-is("Contact")').count(), 0, 'a viewer sees no contact details');
    await expectNoAxeViolations(page, 'request page, viewer');

    // The viewer's own signed-in form, posted to an action.
    await page.evaluate(
      ({ reference, csrf }) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = `/console/requests/${reference}/withdraw`;
        for (const [name, value] of Object.entries({ csrf, reason: 'Not mine to withdraw', seen: '' })) {
          const input = document.createElement('input');
          input.type = 'hidden';
          input.name = name;
          input.value = value;
          form.append(input);
        }
        document.body.append(form);
        form.submit();
      },
      { reference, csrf },
    );
    await page.waitForURL(new RegExp(`/console/requests/${reference}/withdraw$`));
    assert.equal(await page.locator('h1').innerText(), 'You cannot do this');
    await expectNoAxeViolations(page, '403 page, viewer action');
    await openAtStage(page, reference, stage, 0);
  });
});
