// The local-authority conflict rule, switched off in the console: with the rule on, a request
// from Camden finds nobody when every reviewer of the pool works in Camden (the pipeline's
// "needs attention" says so, and the request's page shows the rule each one fails); a
// coordinator switches the rule off on the settings page and matches the request again; an
// offer goes out. axe on every page state.
//
// The settings and the pool are the whole programme's, so this file runs on a runner of its
// own (`useOwnRunner`: its own tables, no demo data): no other file sees the rule off or its
// reviewers, whatever order the files run in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { expectNoAxeViolations, readMail, useBrowser, withPage } from './harness.mjs';
import { signInAs } from './console_session.mjs';
import { useOwnRunner } from './own_runner.mjs';
import { clickAndWait, confirmRequest, fillValidRequest, isoDateFromToday, uniqueEmail } from './school.mjs';

useOwnRunner();
useBrowser();

const HEADER =
  'name,email,home_school_urn,local_authority,regions,phases,school_types,may_lead,trained_on,dbs_checked_on,capacity_per_term';

/** A Camden (202) primary reviewer who may lead, trained and checked, free every day. */
function camdenRow(name, email, urn) {
  return `${name},${email},${urn},202,london,primary,mainstream,yes,${isoDateFromToday(-100)},${isoDateFromToday(-100)},2`;
}

async function stageOf(page, reference) {
  await page.goto(`/console/requests/${reference}`);
  return (await page.locator('#stage').innerText()).trim();
}

/** The request's stage, once it is `stage` (the matcher runs on the table's stream). */
async function waitForStage(page, reference, stage, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await stageOf(page, reference);
    if (now === stage) return;
    assert.ok(Date.now() < deadline, `${reference} is still "${now}", not "${stage}"`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('with the LA rule off, a request from the same LA as every reviewer is matched', async (t) => {
  await withPage(
    t,
    async (page) => {
      await signInAs(page, 'coordinator');
      const reviewers = ['Ann Camden', 'Ben Camden'].map((name, i) => ({
        name,
        email: `${name.split(' ')[0].toLowerCase()}-${randomUUID()}@example.org`,
        urn: `90000${i + 1}`,
      }));
      await page.goto('/console/reviewers');
      await page
        .getByLabel('Or paste its lines here')
        .fill([HEADER, ...reviewers.map((r) => camdenRow(r.name, r.email, r.urn))].join('\n'));
      await clickAndWait(page, page.getByRole('button', { name: 'Import' }));
      assert.match(await page.locator('#notice').innerText(), /^Imported 2 reviewers/);

      // The rule is on (its default): a Camden school finds nobody.
      await page.goto('/request');
      await fillValidRequest(page, { email: uniqueEmail('la-rule') });
      await clickAndWait(page, page.getByRole('button', { name: 'Send request' }));
      const reference = (await page.locator('.panel__reference').innerText()).trim();
      await confirmRequest(reference);
      await waitForStage(page, reference, 'Nobody eligible');
      await page.goto('/console');
      const nobody = page.locator('#attention-list tr.attention-no_reviewer', { hasText: reference });
      assert.equal(await nobody.count(), 1, `${reference} is not listed as needing attention`);
      await expectNoAxeViolations(page, 'pipeline, nobody eligible');
      await page.goto(`/console/requests/${reference}`);
      const table = await page.locator('#reviewers').innerText();
      for (const { name } of reviewers) assert.match(table, new RegExp(`${name}\\s+Not eligible\\s+Fails: Local authority rule`));
      assert.equal(await page.locator('#reviewers input[type=radio]').count(), 0, 'nobody may be offered it');
      await expectNoAxeViolations(page, 'request page, nobody eligible');

      // The coordinator switches the rule off.
      await page.goto('/console/settings');
      assert.equal(await page.locator('#local_authority_conflict_rule').isChecked(), true, 'the rule is on by default');
      await expectNoAxeViolations(page, 'settings page, rule on');
      await page.check('#local_authority_conflict_rule-off');
      await clickAndWait(page, page.getByRole('button', { name: 'Save settings' }));
      // A programme that never saved its settings has no name or contact address yet: the
      // first save needs both.
      assert.match(await page.locator('.error-summary').innerText(), /nothing was saved/);
      assert.equal(await page.locator('#local_authority_conflict_rule-off').isChecked(), true, 'the choice is kept');
      await expectNoAxeViolations(page, 'settings page, first save without a name');
      await page.locator('#name').fill('Camden SEND Review');
      await page.locator('#contact_email').fill('send-review@camden.example');
      await clickAndWait(page, page.getByRole('button', { name: 'Save settings' }));
      assert.match(await page.locator('#saved').innerText(), /^Saved as version/);
      await page.goto('/console/settings');
      assert.equal(await page.locator('#local_authority_conflict_rule-off').isChecked(), true, 'the rule is off');
      await expectNoAxeViolations(page, 'settings page, rule off');

      // Matched again, the request goes to one of them.
      await page.goto(`/console/requests/${reference}`);
      assert.equal(await page.locator('#reviewers input[type=radio]').count(), 2, 'both may be offered it now');
      await clickAndWait(page, page.getByRole('button', { name: 'Reassign' }));
      await waitForStage(page, reference, 'Offered to a reviewer');
      const waiting = (await page.locator('dt:text-is("Offer waiting for an answer") + dd').innerText()).split(',')[0];
      const asked = reviewers.find((r) => r.name === waiting);
      assert.ok(asked, `the offer went to ${waiting}, not a Camden reviewer`);
      await expectNoAxeViolations(page, 'request page, offered with the rule off');
      const mail = await readMail(asked.email, { timeoutMs: 15_000 });
      assert.ok(mail.some((m) => m.subject.includes(reference)), `no offer of ${reference} reached ${asked.name}`);
    },
    { javaScriptEnabled: false },
  );
});
