// The visit day in the browser: the lead reviewer (JavaScript on) saves the suggested day; the
// school (JavaScript off) finds it from its status page, is told what is wrong with a bad
// time, saves a change and confirms the plan; the lead changes it after confirmation and the
// school is emailed; the plan's print view, printed to PDF by Chromium, holds the sessions on
// one or two A4 pages. Then, on the visit day, the lead records the verbal feedback: the school
// does not see it that day, and sees it once the visit is two days past (the visit moved back
// with the local runner's `POST /_dev/requests/<reference>/visit-date`, the clock hook other
// tests use). Every page state is audited with axe.
//
// The school is an alternative provision secondary in Newcastle, which the matcher offers to
// Maria Santos (an alternative provision lead in the north east, two reviews a term), whom no
// other file books (Priya Raman, offered a special school, is also offered the Camden primaries
// of offers.test.mjs and request.test.mjs, so her places run out in a full run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expectNoAxeViolations, readMail, useBrowser, withPage } from './harness.mjs';
import { clickAndWait, statusLinkFromMail, uniqueEmail, uniqueUrn } from './school.mjs';
import { acceptOffer, mailWithSubject, sendReviewRequest, visitDay, visitOn } from './review.mjs';

useBrowser();

/** The text of a PDF, page by page, as poppler's pdftotext reads it (a provisioned tool), white space collapsed (a table cell wraps). */
function pdfPages(bytes) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'visit-day-')), 'plan.pdf');
  writeFileSync(file, bytes);
  const text = execFileSync('/usr/bin/pdftotext', [file, '-'], { encoding: 'utf8' });
  return text.split('\f').map((page) => page.replace(/\s+/g, ' ').trim()).filter((page) => page !== '');
}

/** Presses `button`, checks that `where` then says `expected`, and audits the page (`label`). */
async function press(page, button, [where, expected], label) {
  await clickAndWait(page, page.getByRole('button', { name: button }));
  assert.match(await page.locator(where).innerText(), expected);
  await expectNoAxeViolations(page, label);
}

test('the lead and the school build and confirm the visit plan, a change after confirmation is emailed, the plan prints, and the verbal feedback reaches the school the next morning', async (t) => {
  const email = uniqueEmail('visitday');
  const schoolName = `Tyneside Bridge Academy ${Date.now().toString(36).toUpperCase()}`;
  const reference = await sendReviewRequest(
    email,
    {
      urn: uniqueUrn(), name: schoolName, phase: 'secondary', type: 'alternative_provision',
      local_authority_code: 391, postcode: 'NE1 4ST', number_on_roll: 120,
      sen_support_percent: 10, ehc_plan_percent: 88, areas_of_need: ['communication_and_interaction'],
    },
    { focus_areas: ['leadership', 'learners_and_families'], learning_goal: 'How well we hear the voices of pupils and families.', prefix: 'visitday' },
  );
  const statusLink = await statusLinkFromMail(email);
  let reviewLink;

  // The lead saves the suggested day as it is.
  await withPage(t, async (page) => {
    const [offer] = await mailWithSubject(schoolName);
    reviewLink = await acceptOffer(page, offer, await visitDay(offer, 30, 40), reference);
    await page.goto(reviewLink);
    await clickAndWait(page, page.getByRole('link', { name: 'See the visit day’s plan' }));
    assert.match(await page.locator('#plan-state').innerText(), /A suggested day/);
    const timetable = await page.locator('#timetable').innerText();
    assert.match(timetable, /Meeting with the SENCO/);
    assert.match(timetable, /Parent and carer voice/, 'the draft serves working with families');
    assert.match(await page.locator('#coverage').innerText(), /Every focus area of the review is served/);
    await expectNoAxeViolations(page, 'visit day, lead, suggested');
    await press(page, 'Save the plan', ['#plan-state', /Last saved by Maria Santos/], 'visit day, lead, saved');
  });

  // The school, without JavaScript: a bad time is refused; a good change is saved; it confirms.
  await withPage(
    t,
    async (page) => {
      await page.goto(statusLink);
      await clickAndWait(page, page.getByRole('link', { name: 'Plan the visit day with the lead reviewer' }));
      await expectNoAxeViolations(page, 'visit day, school, saved by the lead');
      await page.fill('#session-1-end', '08:00');
      await press(page, 'Save the plan', ['.error-summary', /Session 1 must end after it starts/], 'visit day, school, bad time');
      assert.match(await page.title(), /^Error: /);
      await page.fill('#session-1-end', '09:30');
      await page.fill('#session-1-place', 'The sensory room');
      await clickAndWait(page, page.getByRole('button', { name: 'Save the plan' }));
      assert.match(await page.locator('#timetable').innerText(), /The sensory room/);
      await press(page, 'Confirm this plan', ['#plan-state', /The school has confirmed this plan/], 'visit day, school, confirmed');
    },
    { javaScriptEnabled: false },
  );

  // Confirming sends the school the calendar entry with the plan (counted before the change).
  const toSchool = (m) => m.to.some((to) => to.includes(email));
  const [confirmation] = await mailWithSubject('Visit plan confirmed', { where: toSchool });
  assert.ok(confirmation.attachments.some((a) => a.filename === 'visit.ics'), 'the calendar entry');
  // The lead changes the confirmed plan: the school is emailed, once, with the new day.
  const before = (await readMail(email, { minCount: 1 })).length;
  await withPage(t, async (page) => {
    await page.goto(`${reviewLink}/visit-day`);
    await page.fill('#session-2-place', 'The head’s office, ground floor');
    await clickAndWait(page, page.getByRole('button', { name: 'Save the plan' }));
    assert.match(await page.locator('#timetable').innerText(), /ground floor/);
  });
  const mails = await readMail(email, { minCount: before + 1 });
  const changed = mails.filter((m) => m.subject.startsWith('Visit plan changed'));
  assert.equal(changed.length, 1, 'one email about the change');
  assert.match(changed[0].text, /Maria Santos, the lead reviewer, changed the plan/);
  assert.match(changed[0].text, /ground floor/);

  // The plan prints on one or two A4 pages, with its sessions and nothing of the forms.
  await withPage(
    t,
    async (page) => {
      await page.goto(`${statusLink}/visit-day`);
      await page.emulateMedia({ media: 'print' });
      const pages = pdfPages(await page.pdf({ format: 'A4' }));
      assert.ok(pages.length >= 1 && pages.length <= 2, `the plan printed on ${pages.length} pages`);
      const text = pages.join('\n');
      for (const session of ['Meeting with the SENCO', 'Parent and carer voice', 'Verbal feedback', 'The sensory room', 'ground floor']) {
        assert.ok(text.includes(session), `the printed plan has "${session}"`);
      }
      assert.ok(!text.includes('Save the plan') && !text.includes('Remove this session'), 'the forms do not print');
    },
    { javaScriptEnabled: false },
  );

  // The visit day: the lead records the verbal feedback; the school does not see it yet.
  await visitOn(reference, 0);
  await withPage(t, async (page) => {
    await page.goto(`${reviewLink}/visit-day`);
    await page.fill('#feedback-learners_and_families-went_well', 'Pupils’ views shape their plans');
    await page.fill('#feedback-leadership-even_better_if', 'Governors visit the provision each term');
    await press(page, 'Save the feedback', ['main', /The verbal feedback is saved/], 'visit day, lead, feedback saved');
  });
  await withPage(
    t,
    async (page) => {
      await page.goto(statusLink);
      assert.doesNotMatch(await page.locator('main').innerText(), /Pupils’ views shape their plans/);

      // The next morning has passed: the status page shows the points.
      await visitOn(reference, -2);
      await page.goto(statusLink);
      const feedback = await page.locator('main').innerText();
      assert.match(feedback, /Verbal feedback from the visit/);
      assert.match(feedback, /Pupils’ views shape their plans/);
      assert.match(feedback, /Governors visit the provision each term/);
      await expectNoAxeViolations(page, 'status page, verbal feedback');
    },
    { javaScriptEnabled: false },
  );
});
