// The console's settings page and the pipeline's filters, without JavaScript: a coordinator
// sees every setting with its meaning and default, a save with bad values is refused field by
// field and stores nothing, a save from a page opened before someone else saved is refused
// with both versions shown; a viewer reads the settings with no way to save; the pipeline's
// filters are a plain GET form. Every state, error states included, has no axe violation.
// (The settings changed here are restored at the end, so other test files see the defaults.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { signInAs } from './console_session.mjs';

useBrowser();

async function save(page) {
  await page.getByRole('button', { name: 'Save settings' }).click();
}

test('bad values are refused field by field; a save from an old page shows both versions and stores nothing', async (t) => {
  await withPage(
    t,
    async (page, context) => {
      await signInAs(page, 'coordinator');
      await page.goto('/console/settings');
      assert.equal(await page.locator('h1').innerText(), 'Programme settings');
      assert.match(await page.locator('#retention_months-hint').innerText(), /Default: 12\./);
      await expectNoAxeViolations(page, 'settings page');
      const retention = await page.locator('#retention_months').inputValue();
      const version = Number(await page.locator('input[name=version]').inputValue());

      // Bad values: each field says why; nothing is stored (the page's version is unchanged).
      await page.locator('#retention_months').fill('0');
      await page.locator('#primary_colour').fill('#ffdd00');
      await save(page);
      const summary = await page.locator('.error-summary').innerText();
      assert.match(summary, /nothing was saved/);
      assert.match(await page.locator('#retention_months-error').innerText(), /from 1 to 120/);
      assert.match(await page.locator('#primary_colour-error').innerText(), /too light for white text/);
      await expectNoAxeViolations(page, 'settings page, bad values');
      await page.goto('/console/settings');
      assert.equal(Number(await page.locator('input[name=version]').inputValue()), version);
      assert.equal(await page.locator('#retention_months').inputValue(), retention);

      // Another tab saves first; this page, still at the old version, is refused.
      const other = await context.newPage();
      await other.goto('/console/settings');
      await other.locator('#retention_months').fill('13');
      await save(other);
      assert.match(await other.locator('#saved').innerText(), new RegExp(`Saved as version ${version + 1}`));
      await other.close();

      await page.locator('#retention_months').fill('14');
      await save(page);
      assert.match(await page.locator('#stale').innerText(), /nothing was saved/);
      const row = page.locator('#stale-differences tr', { hasText: 'Retention' });
      assert.deepEqual(
        (await row.locator('th, td').allInnerTexts()).map((s) => s.trim()),
        ['Retention', '14', '13'],
      );
      await expectNoAxeViolations(page, 'settings page, saved from an old page');

      // The stored version is the other tab's; put the original value back.
      await page.locator('#retention_months').fill(retention);
      await save(page);
      assert.match(await page.locator('#saved').innerText(), new RegExp(`Saved as version ${version + 2}`));
      assert.equal(await page.locator('#retention_months').inputValue(), retention);
    },
    { javaScriptEnabled: false },
  );
});

test('a viewer reads the settings and has no way to save them', async (t) => {
  await withPage(
    t,
    async (page) => {
      await signInAs(page, 'viewer');
      await page.goto('/console/settings');
      assert.equal(await page.getByRole('button', { name: 'Save settings' }).count(), 0);
      assert.match(await page.locator('#value-offer_expiry_days').innerText(), /^\d+$/);
      await expectNoAxeViolations(page, 'settings page, viewer');
    },
    { javaScriptEnabled: false },
  );
});

test('the pipeline filters are a GET form; a value no list holds is named', async (t) => {
  await withPage(
    t,
    async (page) => {
      await signInAs(page, 'coordinator');
      await expectNoAxeViolations(page, 'pipeline');
      await page.getByLabel('Stage').selectOption('offered');
      await page.getByLabel(/Overdue only/).check();
      await page.getByRole('button', { name: 'Filter' }).click();
      const url = new URL(page.url());
      assert.equal(url.pathname, '/console');
      assert.equal(url.searchParams.get('stage'), 'offered');
      assert.equal(url.searchParams.get('overdue'), 'yes');
      assert.equal(await page.locator('#count-offered').innerText(), '0', 'an offer is never overdue');
      assert.match(await page.locator('#total').innerText(), /match the filters/);
      await expectNoAxeViolations(page, 'pipeline, filtered');

      await page.goto('/console?la=999&stage=offered');
      assert.match(await page.locator('.error-summary').innerText(), /There is no local authority "999"/);
      await expectNoAxeViolations(page, 'pipeline, a filter no list holds');
      await page.getByRole('link', { name: 'Clear the filters' }).click();
      assert.equal(new URL(page.url()).search, '');
    },
    { javaScriptEnabled: false },
  );
});
