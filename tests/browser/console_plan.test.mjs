// Planning a term in the console (issue 19): two schools that asked to review a school in
// return find nobody (the pool is empty when they ask); a coordinator imports three reviewers
// (one from each school, one from neither), computes the term's plan, sees who reviews whom
// with each score and why and the reciprocal pair beside it, pins one pair, computes again
// (the pin is kept), and sends the offers: one email each. axe on every page state.
//
// The pool is the whole programme's, so this file runs on a runner of its own (`useOwnRunner`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { expectNoAxeViolations, readMail, useBrowser, withPage } from './harness.mjs';
import { openAtStage, signInAs } from './console_session.mjs';
import { useOwnRunner } from './own_runner.mjs';
import { clickAndWait, confirmRequest, fillValidRequest, isoDateFromToday, uniqueEmail, uniqueUrn } from './school.mjs';

useOwnRunner();
useBrowser();

const HEADER =
  'name,email,home_school_urn,local_authority,regions,phases,school_types,may_lead,trained_on,dbs_checked_on,capacity_per_term';

/** A Hackney (204) primary reviewer who may lead, working at school `urn`. */
function row({ name, email, urn }) {
  return `${name},${email},${urn},204,london,primary,mainstream,yes,${isoDateFromToday(-100)},${isoDateFromToday(-100)},2`;
}

/** The term (its form value) of the day `days` from today. */
function termKey(days) {
  const day = new Date(isoDateFromToday(days));
  const month = day.getUTCMonth() + 1;
  const season = month >= 9 ? 'autumn' : month <= 3 ? 'spring' : 'summer';
  return `${season}-${day.getUTCFullYear()}`;
}

/** A school asks for a review in 300 to 310 or 320 to 330 days, saying it would review a school in return. */
async function askInReturn(page, urn) {
  await page.goto('/request');
  await fillValidRequest(page, { email: uniqueEmail('plan'), urn });
  await page.fill('#window_1_start', isoDateFromToday(300));
  await page.fill('#window_1_end', isoDateFromToday(310));
  await page.fill('#window_2_start', isoDateFromToday(320));
  await page.fill('#window_2_end', isoDateFromToday(330));
  await page.check('#reciprocal');
  await clickAndWait(page, page.getByRole('button', { name: 'Send request' }));
  const reference = (await page.locator('.panel__reference').innerText()).trim();
  await confirmRequest(reference);
  return reference;
}

test('a coordinator computes a term plan, pins a pair, computes again and sends the offers', async (t) => {
  await withPage(
    t,
    async (page) => {
      const [urnA, urnB] = [uniqueUrn(), uniqueUrn()];
      const a = await askInReturn(page, urnA);
      const b = await askInReturn(page, urnB);
      await signInAs(page, 'coordinator');
      await openAtStage(page, a, 'Nobody eligible');
      await openAtStage(page, b, 'Nobody eligible');

      const reviewers = [
        { name: 'Ann FromA', urn: urnA },
        { name: 'Ben FromB', urn: urnB },
        { name: 'Cy Neither', urn: '900003' },
      ].map((r) => ({ ...r, email: `${r.name.split(' ')[0].toLowerCase()}-${randomUUID()}@example.org` }));
      await page.goto('/console/reviewers');
      await page.getByLabel('Or paste its lines here').fill([HEADER, ...reviewers.map(row)].join('\n'));
      await clickAndWait(page, page.getByRole('button', { name: 'Import' }));
      assert.match(await page.locator('#notice').innerText(), /^Imported 3 reviewers/);

      // The plan page, from the console's navigation.
      await page.goto('/console');
      await clickAndWait(page, page.getByRole('link', { name: 'Plan a term' }));
      assert.equal((await page.locator('h1').innerText()).trim(), 'Plan a term');
      await expectNoAxeViolations(page, 'plan page, no term chosen');
      await page.selectOption('#term', termKey(305));
      await clickAndWait(page, page.getByRole('button', { name: 'Compute the plan' }));
      assert.equal((await page.locator('#plan-summary').innerText()).trim(), '2 of 2 places filled.');
      const rows = page.locator('#plan-table tbody tr');
      assert.equal(await rows.count(), 2);
      const table = await page.locator('#plan-table').innerText();
      assert.match(table, new RegExp(`${a}`));
      assert.match(table, /phase \+30/, 'each score says why');
      const reciprocal = await page.locator('#reciprocal ~ div ul').first().innerText();
      assert.match(reciprocal, /Ann FromA from .* reviews /);
      assert.match(reciprocal, /Ben FromB from .* reviews /);
      await expectNoAxeViolations(page, 'plan page, computed');

      // Pin the first pair, compute again: it is kept, and marked.
      const first = rows.first();
      const firstReviewer = (await first.locator('td').nth(2).innerText()).trim();
      await first.locator('input[name=pin]').check();
      await clickAndWait(page, page.getByRole('button', { name: 'Compute again' }));
      assert.equal((await page.locator('#plan-summary').innerText()).trim(), '2 of 2 places filled.');
      const pinned = page.locator('#plan-table tbody tr', { hasText: '(pinned)' });
      assert.equal(await pinned.count(), 1);
      assert.equal((await pinned.locator('td').nth(2).innerText()).trim(), `${firstReviewer} (pinned)`);
      assert.equal(await pinned.locator('input[name=pin]').isChecked(), true, 'the form keeps the pin');
      await expectNoAxeViolations(page, 'plan page, one pair pinned');

      // Send: one offer and one email per pair.
      await clickAndWait(page, page.getByRole('button', { name: 'Send 2 offers' }));
      assert.match(await page.locator('main').innerText(), /2 of 2 offers were sent/);
      await expectNoAxeViolations(page, 'plan sent');
      await openAtStage(page, a, 'Offered to a reviewer');
      await openAtStage(page, b, 'Offered to a reviewer');
      const asked = [];
      for (const reviewer of reviewers) {
        const mails = await readMail(reviewer.email, { timeoutMs: 2_000 }).catch(() => []);
        asked.push(...mails.filter((m) => m.subject.includes(a) || m.subject.includes(b)));
      }
      assert.equal(asked.length, 2, 'one offer email per planned pair');
    },
    { javaScriptEnabled: false },
  );
});
