// The report in the browser: the lead reviewer writes it (JavaScript on: the editor saves by
// itself as they type), sends the draft; the school finds it from its status page and comments
// on it with JavaScript off; the lead sees the comment and finalises; the school's status page
// links to the PDF, which downloads, and shares the report by email (JavaScript off: a bad
// address, then a good one). Every page state is audited with axe.
//
// The review is booked and its visit moved to today as review.mjs describes (a Coventry
// secondary led by Tomasz Nowak, so it does not use the Camden reviewers other files rely on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, readMail, useBrowser, withPage } from './harness.mjs';
import { clickAndWait, uniqueEmail } from './school.mjs';
import { mailWithSubject, reviewOnTheVisitDay } from './review.mjs';

useBrowser();

/** Waits for the editor's autosave to say it saved (clear its status first: clearAutosaveStatus). */
async function autosaved(page) {
  await page.waitForFunction(() => document.getElementById('autosave-status')?.textContent.startsWith('Saved at'), null, { timeout: 10_000 });
}

async function clearAutosaveStatus(page) {
  await page.evaluate(() => {
    document.getElementById('autosave-status').textContent = '';
  });
}

test('the lead writes and sends the report; the school comments without JavaScript; the lead finalises; the school downloads the PDF', async (t) => {
  let review;
  await withPage(t, async (page) => {
    review = await reviewOnTheVisitDay(page);
    const editor = `${review.reviewLink}/report`;

    // The lead writes: the page saves by itself and counts the characters left.
    await page.goto(editor);
    assert.equal((await page.locator('h1').innerText()).trim(), `Report: ${review.schoolName}`);
    await expectNoAxeViolations(page, 'report editor, empty');
    await clearAutosaveStatus(page);
    await page.fill('#summary', 'A school where SEND is everyone’s business.');
    assert.match(await page.locator('#summary-count').innerText(), /characters left/);
    await autosaved(page);
    await expectNoAxeViolations(page, 'report editor, autosaved');
    await page.reload();
    assert.equal(await page.inputValue('#summary'), 'A school where SEND is everyone’s business.', 'the autosaved text is stored');

    // Sending an incomplete draft is refused with what is missing.
    await clickAndWait(page, page.getByRole('button', { name: 'Send the draft to the school to check' }));
    assert.match(await page.title(), /^Error: /);
    assert.ok((await page.locator('.error-summary li').count()) > 0, 'the error summary lists what is missing');
    await expectNoAxeViolations(page, 'report editor, incomplete');

    // Every section filled in; the draft goes to the school once the last autosave is done.
    await clearAutosaveStatus(page);
    for (const [suffix, text] of [
      ['-went_well-1', 'Staff know their pupils’ needs well.'],
      ['-even_better_if-1', 'Share the provision map with parents.'],
      ['-evidence', 'Lesson visits, pupil voice, provision map.'],
    ]) {
      const boxes = page.locator(`textarea[id$="${suffix}"]`);
      for (let i = 0; i < (await boxes.count()); i += 1) await boxes.nth(i).fill(text);
    }
    await page.fill('#recommendation-1', 'Review the provision map each term with parents.');
    await page.fill('#next_steps-1', 'Agree a termly meeting format.');
    await autosaved(page);
    await clickAndWait(page, page.getByRole('button', { name: 'Send the draft to the school to check' }));
    assert.match(await page.locator('main').innerText(), /The report is not open for editing/);
    await expectNoAxeViolations(page, 'report editor, sent');
  });

  // The school, without JavaScript: its status page links to the draft; it comments on the summary.
  await withPage(
    t,
    async (page) => {
      await page.goto(review.statusLink);
      assert.match(await page.locator('main').innerText(), /ready for you to check/);
      await expectNoAxeViolations(page, 'status page, draft to check');
      await clickAndWait(page, page.getByRole('link', { name: 'Check your draft report' }));
      assert.equal((await page.locator('h1').innerText()).trim(), 'Check your draft report');
      assert.match(await page.locator('main').innerText(), /Staff know their pupils’ needs well\./);
      await expectNoAxeViolations(page, 'factual check, draft');
      await page.fill('[id="comment.summary"]', 'We have two SEND governors, not one.');
      await clickAndWait(page, page.getByRole('button', { name: 'Send to the review team' }));
      assert.match(await page.locator('main').innerText(), /You sent your comments to the review team\./);
      await expectNoAxeViolations(page, 'factual check, answered');
      await page.goto(review.statusLink);
      assert.match(await page.locator('main').innerText(), /Your reviewers are finishing the report/);
      await expectNoAxeViolations(page, 'status page, answered');
    },
    { javaScriptEnabled: false },
  );

  // The lead sees the school's comment beside the summary, and may finalise.
  await withPage(t, async (page) => {
    await page.goto(`${review.reviewLink}/report`);
    assert.match(await page.locator('main').innerText(), /We have two SEND governors, not one\./);
    await expectNoAxeViolations(page, 'report editor, with the school’s comments');
    // The lead was emailed the school's answer, with the editor's link.
    const [told] = await mailWithSubject(`${review.schoolName} has commented on the draft report`);
    assert.ok((told.links ?? []).some((href) => href.includes('/reviews/') && href.endsWith('/report')), 'the email links to the editor');
    await page.fill('#summary', 'A school where SEND is everyone’s business; two SEND governors.');
    await clickAndWait(page, page.getByRole('button', { name: 'Finalise and send the report to the school' }));
    assert.match(await page.locator('main').innerText(), /The report is final/);
  });

  // The school's status page: the report is done, to read or download as a PDF.
  await withPage(
    t,
    async (page) => {
      await page.goto(review.statusLink);
      const link = page.getByRole('link', { name: 'Download your report (PDF)' });
      assert.equal(await link.count(), 1, 'the status page links to the PDF');
      await expectNoAxeViolations(page, 'status page, report final');
      const response = await fetch(new URL(await link.getAttribute('href'), review.statusLink), { redirect: 'manual' });
      assert.equal(response.status, 303, 'the PDF link redirects to a presigned URL');
      const pdf = await fetch(response.headers.get('location'));
      assert.equal(pdf.status, 200);
      assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');

      // Sharing the report: a bad address is shown again with its error, nothing sent...
      const main = page.locator('main');
      assert.match(await main.innerText(), /You have not shared your report yet\./);
      const governor = uniqueEmail('governor');
      await page.fill('#share_email', governor.replace('@', ' at '));
      await page.fill('#share_name', 'Chair of Governors');
      await clickAndWait(page, page.getByRole('button', { name: 'Share your report' }));
      assert.match(await page.title(), /^Error: /);
      assert.equal(await page.locator('.error-summary a[href="#share_email"]').count(), 1, 'the summary links to the field');
      assert.equal(await page.inputValue('#share_name'), 'Chair of Governors', 'what was typed is kept');
      await expectNoAxeViolations(page, 'status page, share form with an error');
      // ...and a good one shares it: the page lists it and the person gets the PDF.
      await page.fill('#share_email', governor);
      await clickAndWait(page, page.getByRole('button', { name: 'Share your report' }));
      assert.doesNotMatch(await page.title(), /^Error: /);
      assert.ok((await main.innerText()).includes(`Chair of Governors (${governor}), on `), 'the page lists whom it was shared with');
      await expectNoAxeViolations(page, 'status page, report shared');
      const [shared] = await readMail(governor);
      assert.match(shared.subject, /has shared its review report with you/);
      assert.equal(shared.attachments?.length, 1);
      assert.equal(shared.attachments[0].content_type, 'application/pdf');
    },
    { javaScriptEnabled: false },
  );
});
