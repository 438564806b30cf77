// The school shares its evidence: from its private status page it opens the evidence page,
// says what the file is (first with nothing filled in, to see the errors), chooses a PDF on
// the next page and uploads it straight to S3 (moto locally) with the presigned form, comes
// back to the site and, after the checker has run, sees the file received; then deletes it.
// With JavaScript on and off: the upload is a plain multipart form either way. Every page
// state is audited with axe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { clickAndWait, fillValidRequest, statusLinkFromMail, uniqueEmail } from './school.mjs';

useBrowser();

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');


/** Send a request through the form; the status link from the confirmation email. */
async function requestWithStatusLink(page) {
  const email = uniqueEmail('evidence');
  await page.goto(baseUrl() + '/request');
  await fillValidRequest(page, { email });
  await clickAndWait(page, page.getByRole('button', { name: 'Send request' }));
  const title = await page.title();
  assert.ok(!title.startsWith('Too many requests'), `the service refused the request as rate-limited (see README): "${title}"`);
  return statusLinkFromMail(email);
}

/** Reload the evidence page until the file's row says `state` (the checker runs in seconds). */
async function waitForState(page, name, state) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const row = page.locator('tbody tr', { hasText: name });
    const text = (await row.count()) ? await row.innerText() : '';
    if (text.includes(state)) return row;
    if (Date.now() > deadline) assert.fail(`the file "${name}" did not become ${state}; its row reads: ${text || '(no row)'}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await page.reload({ waitUntil: 'load' });
  }
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off';

  test(`the school uploads a PDF, sees it received and deletes it (${mode})`, async (t) => {
    await withPage(
      t,
      async (page) => {
        const statusLink = await requestWithStatusLink(page);
        await page.goto(statusLink);
        await expectNoAxeViolations(page, `status page with no evidence (${mode})`);
        assert.match(await page.locator('main').innerText(), /You have not shared any evidence yet\./);
        await clickAndWait(page, page.getByRole('link', { name: 'Add or manage your evidence' }));
        assert.equal((await page.locator('h1').innerText()).trim(), 'Your evidence');
        await expectNoAxeViolations(page, `empty evidence page (${mode})`);

        // Nothing filled in: one error per field, linked from the summary.
        const refused = await clickAndWait(page, page.getByRole('button', { name: 'Continue' }));
        assert.equal(refused?.status(), 422);
        assert.ok((await page.title()).startsWith('Error: '));
        const summary = await page.locator('.error-summary').innerText();
        for (const message of ['Enter a name for the document', 'Choose what the document is', 'Choose the type of file', 'Confirm that the file does not name or identify any pupil']) {
          assert.ok(summary.includes(message), `the error summary lacks "${message}": ${summary}`);
        }
        await expectNoAxeViolations(page, `evidence form with errors (${mode})`);

        const name = `Provision map ${mode}`;
        await page.getByLabel('Name of the document').fill(name);
        await page.getByLabel('Provision map', { exact: true }).check();
        await page.getByLabel('PDF (.pdf)').check();
        await page.getByLabel('I confirm that the file does not name or identify any pupil').check();
        await clickAndWait(page, page.getByRole('button', { name: 'Continue' }));
        assert.equal((await page.locator('h1').innerText()).trim(), `Upload ${name}`);
        await expectNoAxeViolations(page, `upload form (${mode})`);

        // The form posts to S3 itself; S3 sends the browser back to the evidence page.
        const action = await page.locator('form[enctype="multipart/form-data"]').getAttribute('action');
        assert.notEqual(new URL(action).origin, new URL(baseUrl()).origin, 'the upload goes straight to S3');
        if (javaScriptEnabled) {
          // The page checks the file before it goes to S3: a Word file for a PDF stays here.
          await page.getByLabel('Choose the file').setInputFiles({ name: 'provision-map.docx', mimeType: 'application/octet-stream', buffer: PDF });
          await page.getByRole('button', { name: 'Upload file' }).click();
          const error = page.locator('#file-error');
          await error.waitFor();
          assert.match(await error.innerText(), /The file must be a PDF \(\.pdf\)/);
          assert.ok((await page.title()).startsWith('Error: '));
          assert.equal(await page.locator('h1').innerText(), `Upload ${name}`, 'nothing was sent');
          assert.equal(await page.evaluate(() => document.activeElement?.id), 'file');
          await expectNoAxeViolations(page, `upload form with a wrong file (${mode})`);
          // Nor a PDF over the limit (20 MB), which S3 would refuse with a page of its own.
          const tooLarge = Buffer.alloc(20 * 1024 * 1024 + 1);
          PDF.copy(tooLarge);
          await page.getByLabel('Choose the file').setInputFiles({ name: 'provision-map.pdf', mimeType: 'application/pdf', buffer: tooLarge });
          await page.getByRole('button', { name: 'Upload file' }).click();
          await page.locator('#file-error').waitFor();
          assert.match(await page.locator('#file-error').innerText(), /The file is 20\.1 MB: choose one of up to 20 MB/);
          assert.equal(await page.locator('h1').innerText(), `Upload ${name}`, 'nothing was sent');
        }
        await page.getByLabel('Choose the file').setInputFiles({ name: 'provision-map.pdf', mimeType: 'application/pdf', buffer: PDF });
        if (javaScriptEnabled) assert.equal(await page.locator('#file-error').count(), 0, 'choosing again clears the error');
        await clickAndWait(page, page.getByRole('button', { name: 'Upload file' }));
        assert.equal(new URL(page.url()).origin, new URL(baseUrl()).origin, `S3 did not send the browser back: ${page.url()}`);
        assert.match(await page.locator('main').innerText(), new RegExp(`Thank you: ${name} was uploaded\\.`));
        await expectNoAxeViolations(page, `evidence page after the upload (${mode})`);

        const row = await waitForState(page, name, 'Received');
        assert.match(await row.innerText(), /Provision map/);
        await expectNoAxeViolations(page, `evidence page with a received file (${mode})`);
        assert.ok(await row.getByRole('link', { name: `Download ${name}` }).isVisible());

        await page.goto(statusLink);
        assert.match(await page.locator('main').innerText(), new RegExp(`${name}: Received`));
        await page.goBack();

        await clickAndWait(page, row.getByRole('button', { name: `Delete ${name}` }));
        assert.match(await page.locator('main').innerText(), /The file was deleted\./);
        assert.equal(await page.locator('tbody tr', { hasText: name }).count(), 0);
        await expectNoAxeViolations(page, `evidence page after deleting (${mode})`);
      },
      { javaScriptEnabled },
    );
  });
}
