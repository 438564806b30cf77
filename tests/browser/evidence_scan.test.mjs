// The malware scan and the upload limits as the school sees them: the evidence page says how
// many files it may still add; a file the scan flags (locally: one holding the EICAR test
// signature, which the runner's stand-in for GuardDuty reports as a threat) comes back
// rejected with the reason, and is gone. Every page state is audited with axe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { clickAndWait, fillValidRequest, statusLinkFromMail, uniqueEmail } from './school.mjs';

useBrowser();

// Built in two parts so that this file is not itself flagged by a scanner on the machine.
const EICAR_PDF = Buffer.from('%PDF-1.4\n% X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-' + 'ANTIVIRUS-TEST-FILE!$H+H*\n%%EOF\n');

test('the evidence page says how many files are left and shows why a flagged file was rejected', async (t) => {
  await withPage(t, async (page) => {
    const email = uniqueEmail('scan');
    await page.goto(baseUrl() + '/request');
    await fillValidRequest(page, { email });
    await clickAndWait(page, page.getByRole('button', { name: 'Send request' }));
    const statusLink = await statusLinkFromMail(email);
    await page.goto(statusLink);
    await clickAndWait(page, page.getByRole('link', { name: 'Add or manage your evidence' }));
    assert.match(await page.locator('#files-left').innerText(), /^You can add 20 more files this hour, and 30 more files to this request in all\.$/);
    await expectNoAxeViolations(page, 'evidence page with the files left');

    const name = 'Attendance summary';
    await page.getByLabel('Name of the document').fill(name);
    await page.getByLabel('Anonymised data summary', { exact: true }).check();
    await page.getByLabel('PDF (.pdf)').check();
    await page.getByLabel('I confirm that the file does not name or identify any pupil').check();
    await clickAndWait(page, page.getByRole('button', { name: 'Continue' }));
    await page.getByLabel('Choose the file').setInputFiles({ name: 'attendance.pdf', mimeType: 'application/pdf', buffer: EICAR_PDF });
    await clickAndWait(page, page.getByRole('button', { name: 'Upload file' }));
    assert.equal(new URL(page.url()).origin, new URL(baseUrl()).origin, `S3 did not send the browser back: ${page.url()}`);

    const deadline = Date.now() + 15_000;
    let text = '';
    for (;;) {
      const row = page.locator('tbody tr', { hasText: name });
      text = (await row.count()) ? await row.innerText() : '';
      if (text.includes('Rejected')) break;
      if (Date.now() > deadline) assert.fail(`the flagged file was not rejected; its row reads: ${text || '(no row)'}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await page.reload({ waitUntil: 'load' });
    }
    assert.match(text, /Our malware scan found a threat in the file, so we deleted it and no reviewer saw it\./);
    const row = page.locator('tbody tr', { hasText: name });
    assert.equal(await row.getByRole('link', { name: `Download ${name}` }).count(), 0, 'nothing to download');
    // The rejected file holds no place, but its upload counts toward the hour: 19 are left.
    assert.match(await page.locator('#files-left').innerText(), /^You can add 19 more files this hour, and 30 more files to this request in all\.$/);
    await expectNoAxeViolations(page, 'evidence page with a file the scan rejected');
  });
});
