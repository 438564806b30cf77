// The console's review frameworks, without JavaScript: a coordinator opens the trust-level
// framework, gets each problem beside its field (nothing published), previews an edit (the
// school's prompts and the report's headings) and publishes it as the next version. Every state
// has no axe violation. (Only the trust-level framework is changed: no other test file uses it.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { signInAs } from './console_session.mjs';

useBrowser();

test('a coordinator previews and publishes a framework; bad input is refused at its field', async (t) => {
  await withPage(
    t,
    async (page) => {
      await signInAs(page, 'coordinator');
      await page.goto('/console/frameworks');
      assert.equal(await page.locator('h1').innerText(), 'Review frameworks');
      await expectNoAxeViolations(page, 'frameworks list');
      await page.getByRole('link', { name: 'Trust-level (MAT) SEND review' }).click();
      await page.waitForSelector('h1');
      assert.match(await page.locator('h1').innerText(), /Trust-level \(MAT\) SEND review framework/);
      const version = Number(await page.locator('input[name=version]').inputValue());
      await expectNoAxeViolations(page, 'framework editor');

      // An empty title and a prompt over its limit: each refused at its field.
      await page.fill('#area-0-title', '');
      await page.fill('#area-1-mainstream', 'x'.repeat(301));
      await page.getByRole('button', { name: 'Preview' }).click();
      await page.waitForSelector('.error-summary');
      assert.match(await page.locator('.error-summary').innerText(), /nothing was published/);
      assert.match(await page.locator('#area-0-title-error').innerText(), /Enter some text here/);
      assert.match(await page.locator('#area-1-mainstream-error').innerText(), /300 characters or fewer/);
      await expectNoAxeViolations(page, 'framework editor, bad input');

      // A preview: the new area's prompts and every heading, nothing published.
      await page.fill('#area-0-title', 'Our SEND strategy across the trust');
      await page.fill('#area-0-heading', 'Our SEND strategy across the trust');
      await page.fill('#area-1-mainstream', 'How do central leaders support each school\u2019s SENCO?');
      const newArea = await page.locator('fieldset.framework-area').count() - 1;
      await page.fill(`#area-${newArea}-title`, 'Pupils\u2019 voice across the trust');
      await page.fill(`#area-${newArea}-mainstream`, 'How do pupils with SEND shape the trust\u2019s plans?');
      await page.fill(`#area-${newArea}-specialist`, 'How are pupils in specialist settings heard?');
      await page.getByRole('button', { name: 'Preview' }).click();
      await page.waitForSelector('#preview-title');
      const headings = await page.locator('#preview-headings li').allInnerTexts();
      assert.equal(headings[0], 'Our SEND strategy across the trust');
      assert.equal(headings.at(-1), 'Pupils\u2019 voice across the trust');
      await expectNoAxeViolations(page, 'framework editor, preview');

      await page.getByRole('button', { name: `Publish as version ${version + 1}` }).click();
      await page.waitForSelector('#published');
      assert.match(await page.locator('#published').innerText(), new RegExp(`Published as version ${version + 1}\\.`));
      await expectNoAxeViolations(page, 'framework editor, published');
      await page.goto('/console/frameworks');
      assert.equal(await page.locator('#version-trust_send').innerText(), String(version + 1));
    },
    { javaScriptEnabled: false },
  );
});
