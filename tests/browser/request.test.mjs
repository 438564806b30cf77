// A school asks for a SEND peer review: the request form end to end in real
// Chromium, with JavaScript on and off, its error state, double submission,
// the confirmation email (read from the local outbox) and the private status
// page, with an axe audit of every page a school sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, expectNoAxeViolations, readMail, useBrowser, withPage } from './harness.mjs';
import { fillValidRequest, isoDateFromToday, uniqueEmail, uniqueUrn } from './school.mjs';

useBrowser();

// ---------------------------------------------------------------------------
// Helpers

/** Crockford-style reference, e.g. SR-7K3M-Q9 (no I, L, O, U, 0 or 1). */
const REFERENCE = /^SR-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{2}$/;

/** A 43-character status token (base64url of 32 bytes). */
const STATUS_LINK = /\/status\/[A-Za-z0-9_-]{43}$/;

/** Open the request form directly and check it is the form. */
async function openRequestForm(page) {
  const response = await page.goto(baseUrl() + '/request');
  assert.equal(response?.status(), 200, `GET /request answered ${response?.status()}`);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Ask for a SEND peer review');
}

/** Click "Send request" and wait for the page it leads to. */
async function submitForm(page) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: 'Send request' }).click(),
  ]);
  return response;
}

/** Assert the "Request sent" page and return its reference. */
async function expectRequestSentPage(page) {
  const title = await page.title();
  assert.ok(!title.startsWith('Too many requests'), `the service refused the request as rate-limited (see README): "${title}"`);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Request sent');
  const reference = (await page.locator('.panel__reference').innerText()).trim();
  assert.match(reference, REFERENCE, `reference "${reference}" has the wrong format`);
  assert.equal(new URL(page.url()).pathname, `/request/sent/${reference}`, 'sent page URL does not carry the reference');
  return reference;
}

/** Wait for exactly the confirmation email to `email` and check it names `reference`. */
async function expectConfirmationEmail(email, reference) {
  const mail = await readMail(email, { timeoutMs: 10_000 });
  assert.equal(mail.length, 1, `expected one email to ${email}, got ${mail.length}`);
  assert.ok(
    mail[0].subject.includes(reference),
    `email subject "${mail[0].subject}" does not contain the reference ${reference}`,
  );
  return mail[0];
}

/** The summary's links as [{ href, text }], in order. */
async function errorSummaryLinks(page) {
  return page.locator('.error-summary a').evaluateAll((links) =>
    links.map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim() })),
  );
}

/**
 * Fill part of the form with mistakes (5-digit URN, bad email, one visit
 * window only) and submit it. Returns what was typed.
 */
async function submitWithErrors(page) {
  const typed = {
    urn: '12345',
    schoolName: 'Brook Primary School',
    email: 'not-an-email',
    window1Start: isoDateFromToday(30),
    window1End: isoDateFromToday(40),
  };
  await openRequestForm(page);
  await page.getByLabel('School URN').fill(typed.urn);
  await page.getByLabel('School name').fill(typed.schoolName);
  await page.check('[name="phase"][value="secondary"]');
  await page.check('[name="areas_of_need"][value="sensory_physical"]');
  await page.fill('#window_1_start', typed.window1Start);
  await page.fill('#window_1_end', typed.window1End);
  await page.getByLabel('Email address').fill(typed.email);
  const response = await submitForm(page);
  assert.equal(response?.status(), 422, `POST /request with errors answered ${response?.status()}, expected 422`);
  return typed;
}

/** Everything the error state must show, with JavaScript on or off. */
async function expectErrorState(page, typed) {
  assert.equal(new URL(page.url()).pathname, '/request', 'the form should be shown again at /request');
  const title = await page.title();
  assert.ok(title.startsWith('Error:'), `<title> "${title}" should start with "Error:"`);

  const summary = page.locator('.error-summary');
  assert.equal(await summary.count(), 1, 'there should be one error summary');
  assert.equal((await summary.locator('h2').innerText()).trim(), 'There is a problem');

  const links = await errorSummaryLinks(page);
  const hrefs = links.map((l) => l.href);
  for (const field of ['urn', 'contact_email', 'learning_goal', 'review_type', 'no_pupil_named', 'privacy_notice_accepted']) {
    assert.ok(hrefs.includes(`#${field}`), `error summary has no link to #${field}; it links to ${hrefs.join(', ')}`);
  }
  assert.ok(
    hrefs.some((h) => /^#window_2_(start|end)$/.test(h)),
    `error summary should say a second visit window is needed; it links to ${hrefs.join(', ')}`,
  );
  assert.ok(!hrefs.includes('#school_name'), 'school name was given, so it should not be in the error summary');
  assert.ok(!hrefs.includes('#phase'), 'phase was chosen, so it should not be in the error summary');

  for (const { href, text } of links) {
    assert.match(href, /^#[A-Za-z0-9_-]+$/, `summary link "${text}" has href ${href}`);
    const id = href.slice(1);
    assert.equal(await page.locator(`[id="${id}"]`).count(), 1, `summary link "${text}" points at #${id}, which is not on the page`);
    const message = page.locator(`[id="${id}-error"].error-message`);
    assert.equal(await message.count(), 1, `field #${id} has no .error-message with id ${id}-error`);
    const messageText = (await message.innerText()).replace(/\s+/g, ' ').trim();
    assert.ok(messageText.includes(text), `message next to #${id} is "${messageText}", summary says "${text}"`);
  }
  assert.equal(
    await page.locator('.error-message').count(),
    links.length,
    'every error message next to a field should also be in the summary (and the other way round)',
  );

  // The invalid field's own error is announced with it.
  for (const id of ['urn', 'contact_email']) {
    const describedBy = (await page.locator(`#${id}`).getAttribute('aria-describedby')) ?? '';
    assert.ok(describedBy.split(/\s+/).includes(`${id}-error`), `#${id} aria-describedby="${describedBy}" lacks ${id}-error`);
  }

  // What the school typed is still there.
  assert.equal(await page.inputValue('#urn'), typed.urn, 'URN typed was lost');
  assert.equal(await page.inputValue('#school_name'), typed.schoolName, 'school name typed was lost');
  assert.equal(await page.inputValue('#contact_email'), typed.email, 'email typed was lost');
  assert.equal(await page.inputValue('#window_1_start'), typed.window1Start, 'window 1 start was lost');
  assert.equal(await page.inputValue('#window_1_end'), typed.window1End, 'window 1 end was lost');
  assert.ok(await page.isChecked('[name="phase"][value="secondary"]'), 'the chosen phase is no longer selected');
  assert.ok(await page.isChecked('[name="areas_of_need"][value="sensory_physical"]'), 'the ticked area of need is no longer ticked');
  assert.equal(await page.locator('[name="phase"]:checked').count(), 1, 'exactly one phase should be selected');

  return links;
}

/** The form's fields as urlencoded text, exactly as the browser would post them. */
async function serialisedForm(page) {
  return page.locator('form[action="/request"]').evaluate((form) => new URLSearchParams(new FormData(form)).toString());
}

// ---------------------------------------------------------------------------
// Tests

test('a school asks for a review (JavaScript on), gets the email and follows its status link', async (t) => {
  await withPage(t, async (page) => {
    const email = uniqueEmail();

    await page.goto(baseUrl() + '/');
    await Promise.all([page.waitForURL('**/request'), page.locator('a', { hasText: 'Start now' }).click()]);
    assert.equal((await page.locator('h1').innerText()).trim(), 'Ask for a SEND peer review');
    await expectNoAxeViolations(page, 'request form (empty)');

    const { schoolName, urn } = await fillValidRequest(page, { email });
    await expectNoAxeViolations(page, 'request form (filled in)');
    const response = await submitForm(page);
    const reference = await expectRequestSentPage(page);
    assert.equal(response?.status(), 200, `the sent page answered ${response?.status()}`);
    await expectNoAxeViolations(page, 'request sent page');

    const mail = await expectConfirmationEmail(email, reference);
    // The link to the status page, and its "Confirm this request" button, lead to one page.
    const statusLinks = new Set((mail.links ?? []).filter((href) => STATUS_LINK.test(href)));
    assert.equal(statusLinks.size, 1, `email should have one status link; links: ${JSON.stringify(mail.links)}`);

    // Read the mail as a person would: on the local mail page, then click its link.
    await page.goto(baseUrl() + '/_dev/mail');
    const message = page.locator('article.mail').filter({ hasText: email }).filter({ hasText: reference });
    assert.equal(await message.count(), 1, `the mail page should list one email to ${email} about ${reference}`);
    await expectNoAxeViolations(page, 'local mail page (with mail)');
    const link = message.locator('a[href*="/status/"]').first();
    assert.equal(await link.getAttribute('href'), [...statusLinks][0], 'the mail page shows a different status link from the email');
    const [statusResponse] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.click()]);

    assert.equal(statusResponse?.status(), 200, `the status page answered ${statusResponse?.status()}`);
    assert.match(new URL(page.url()).pathname, STATUS_LINK);
    assert.equal((await page.locator('h1').innerText()).trim(), 'Your review request');
    const main = await page.locator('main').innerText();
    assert.ok(main.includes(urn), `status page does not show the URN ${urn}`);
    assert.ok(main.includes(reference), `status page does not show the reference ${reference}`);
    assert.ok(main.includes(schoolName), `status page does not show the school name "${schoolName}"`);
    assert.ok((await page.locator('.timeline li').count()) >= 1, 'status page has no progress timeline');
    await expectNoAxeViolations(page, 'status page');
  });
});

test('a school asks for a review with JavaScript off', async (t) => {
  await withPage(
    t,
    async (page) => {
      const email = uniqueEmail();
      await openRequestForm(page);
      await fillValidRequest(page, { email });
      const response = await submitForm(page);
      const reference = await expectRequestSentPage(page);
      assert.equal(response?.status(), 200, `the sent page answered ${response?.status()}`);
      await expectNoAxeViolations(page, 'request sent page (no JavaScript)');
      await expectConfirmationEmail(email, reference);
    },
    { javaScriptEnabled: false },
  );
});

test('a form with mistakes comes back with an error summary, the answers kept (JavaScript on)', async (t) => {
  await withPage(t, async (page) => {
    const typed = await submitWithErrors(page);
    const links = await expectErrorState(page, typed);
    await expectNoAxeViolations(page, 'request form with errors');

    // Following the first summary link puts the cursor in that field.
    const first = links[0];
    await page.locator('.error-summary a').first().click();
    await page.waitForFunction((id) => document.activeElement?.id === id, first.href.slice(1), { timeout: 2_000 }).catch(() => {});
    const focused = await page.evaluate(() => document.activeElement?.id ?? null);
    assert.equal(focused, first.href.slice(1), `after clicking "${first.text}" focus is on #${focused}, expected ${first.href}`);
  });
});

test('a form with mistakes comes back with an error summary, the answers kept (JavaScript off)', async (t) => {
  await withPage(
    t,
    async (page) => {
      const typed = await submitWithErrors(page);
      await expectErrorState(page, typed);
      await expectNoAxeViolations(page, 'request form with errors (no JavaScript)');
    },
    { javaScriptEnabled: false },
  );
});

test('sending the same form twice creates one request and one email', async (t) => {
  await withPage(t, async (page) => {
    const email = uniqueEmail('double');
    await openRequestForm(page);
    await fillValidRequest(page, { email });
    const body = await serialisedForm(page);
    assert.match(body, /(^|&)submission_token=[^&]+/, 'the form has no submission_token');

    // Two posts of the same form, the second before the first has answered
    // (a double click, or a browser retrying), then a third once both have
    // answered (a reload of the POST). The page's Content-Security-Policy
    // (default-src 'none') rules out fetch() from the page, so the posts go
    // through the page's own request context, which shares its cookies.
    const post = () =>
      page.request.post(baseUrl() + '/request', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        data: body,
        maxRedirects: 0,
      });
    const answers = [...(await Promise.all([post(), post()])), await post()];

    const references = [];
    for (const [i, answer] of answers.entries()) {
      const location = answer.headers()['location'] ?? '';
      const why = answer.status() === 429 ? ' (rate-limited: see README)' : '';
      assert.equal(answer.status(), 303, `post ${i + 1} answered ${answer.status()}${why}: ${(await answer.text()).slice(0, 300)}`);
      const match = new URL(location, baseUrl()).pathname.match(/^\/request\/sent\/(.+)$/);
      assert.ok(match, `post ${i + 1} redirected to "${location}", not to /request/sent/<reference>`);
      assert.match(match[1], REFERENCE);
      references.push(match[1]);
    }
    assert.equal(new Set(references).size, 1, `the posts gave different references: ${references.join(', ')}`);

    await readMail(email, { minCount: 1, timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const mail = await readMail(email, { minCount: 1, timeoutMs: 2_000 });
    assert.equal(mail.length, 1, `expected exactly one email to ${email}, got ${mail.length}: ${mail.map((m) => m.subject).join(' | ')}`);
    assert.ok(mail[0].subject.includes(references[0]), `email subject "${mail[0].subject}" lacks ${references[0]}`);

    // A person who double-clicked sees the ordinary sent page.
    await page.goto(new URL(answers[1].headers()['location'], baseUrl()).href);
    assert.equal(await expectRequestSentPage(page), references[0]);
  });
});

test('other pages a school can reach have no accessibility violations', async (t) => {
  await withPage(t, async (page) => {
    const pages = [
      { path: '/', status: 200, h1: 'Ask for a SEND peer review', label: 'landing page' },
      { path: '/privacy', status: 200, label: 'privacy notice' },
      { path: '/status/' + 'x'.repeat(43), status: 403, h1: 'This link does not work', label: 'unknown status link (403)' },
      { path: '/request/sent/not-a-ref', status: 404, h1: 'Page not found', label: 'unknown reference (404)' },
      { path: '/_dev/mail', status: 200, label: 'local mail page' },
    ];
    for (const { path, status, h1, label } of pages) {
      const response = await page.goto(baseUrl() + path);
      assert.equal(response?.status(), status, `GET ${path} answered ${response?.status()}, expected ${status}`);
      if (h1) assert.equal((await page.locator('h1').innerText()).trim(), h1, `GET ${path} has the wrong <h1>`);
      await expectNoAxeViolations(page, label);
    }
  });
});
