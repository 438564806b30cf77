// A reviewer answers an offer: a school's request (sent through the real form)
// is offered by the matcher to a reviewer from the local runner's demo pool; the
// reviewer opens the link in the offer email and accepts (with a Saturday first,
// to see the error state) or declines (with JavaScript off). Also: a tampered
// link, and opening a link twice. Every page state is audited with axe.
//
// Needs the demo reviewer pool (the local runner seeds it unless started with
// --no-demo-data). Which reviewer the matcher picks is not fixed, so each test
// uses its own school name and reads the newest offer email naming it.
//
// Capacity: only two demo reviewers may lead a Camden primary review (Priya
// Raman, 2 reviews a term; Ravi Patel, 3), and each open offer (counted in the
// term of the first visit window) and each booked visit uses a place. One run
// of this file uses four places (request.test.mjs three more), so on a reused
// stack the pool runs out after a few runs; the tests then fail saying so.
// Restart the stack or start the runner with a new --prefix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, expectNoAxeViolations, readMail, useBrowser, withPage } from './harness.mjs';
import { visitDayFor } from './pool.mjs';
import { clickAndWait, confirmRequest, LEARNING_GOAL, WINDOW_1, WINDOW_2, fillValidRequest, uniqueEmail, uniqueSchoolName, uniqueUrn } from './school.mjs';

useBrowser();

// ---------------------------------------------------------------------------
// Dates

const DAY_MS = 24 * 60 * 60 * 1000;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** today (UTC, as the service counts days) + `days`, as a Date at noon UTC. */
function dayFromToday(days) {
  const date = new Date();
  date.setUTCHours(12, 0, 0, 0);
  return new Date(date.getTime() + days * DAY_MS);
}

/** YYYY-MM-DD, the value format of <input type="date">. */
function iso(date) {
  return date.toISOString().slice(0, 10);
}

/** "3 March 2027", as the service writes dates. */
function longDate(date) {
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** The days of a window, as Dates. */
function daysOf([from, to]) {
  const days = [];
  for (let d = from; d <= to; d += 1) days.push(dayFromToday(d));
  return days;
}

const isSaturday = (date) => date.getUTCDay() === 6;

/** The first weekday of `window` on which the reviewer `offer` went to can visit (as seeded), as a Date. */
async function freeWeekday(offer, [from, to]) {
  const iso = await visitDayFor(offer.reviewer, from, to);
  assert.ok(iso, `${offer.reviewer} has no free weekday ${from} to ${to} days from today`);
  return new Date(`${iso}T12:00:00Z`);
}

// ---------------------------------------------------------------------------
// The school's side (as in request.test.mjs)


/** The status of the POST that redirected to `response` (null if there was no redirect). */
async function redirectStatus(response) {
  const from = response?.request().redirectedFrom();
  if (!from) return null;
  return (await from.response())?.status() ?? null;
}

/**
 * Send a request through the form as a school would, and return what was sent
 * with the request's reference (from the "Request sent" page).
 */
async function sendRequest(page) {
  const email = uniqueEmail();
  const response = await page.goto(baseUrl() + '/request');
  assert.equal(response?.status(), 200, `GET /request answered ${response?.status()}`);
  const { schoolName, urn } = await fillValidRequest(page, { email });
  await clickAndWait(page, page.getByRole('button', { name: 'Send request' }));
  const title = await page.title();
  assert.ok(!title.startsWith('Too many requests'), `the service refused the request as rate-limited (see README): "${title}"`);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Request sent', `submitting the request form led to "${title}"`);
  const reference = (await page.locator('.panel__reference').innerText()).trim();
  assert.match(reference, /^SR-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{2}$/);
  await confirmRequest(reference);
  return { email, schoolName, urn, reference };
}

// ---------------------------------------------------------------------------
// Mail

const OFFER_LINK = /\/offers\/[^/?#]+$/;
const STATUS_LINK = /\/status\/[A-Za-z0-9_-]{43}$/;

async function allMail() {
  const url = `${baseUrl()}/_dev/mail.json`;
  const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5_000) });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${body.slice(0, 200)}`);
  const list = JSON.parse(body);
  if (!Array.isArray(list)) throw new Error(`GET ${url} did not return an array: ${body.slice(0, 200)}`);
  return list;
}

/**
 * Poll the outbox until at least `minCount` messages satisfy `predicate`;
 * return them newest first. `what` describes them for the failure message.
 */
async function waitForMail(predicate, what, { timeoutMs = 10_000, minCount = 1 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let seen = [];
  let lastError = null;
  for (;;) {
    try {
      const list = await allMail();
      lastError = null;
      const matching = list.filter(predicate);
      if (matching.length >= minCount) return matching;
      seen = list;
    } catch (err) {
      lastError = err.message;
    }
    if (Date.now() + 250 > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const subjects = seen.slice(0, 8).map((m) => `"${m.subject}" to ${(m.to ?? []).join(', ')}`);
  throw new Error(
    `expected ${minCount} ${what} within ${timeoutMs / 1000} s, found fewer. ` +
      `Newest mail in the outbox: ${subjects.length ? subjects.join('; ') : 'none'}` +
      (lastError ? `; last error: ${lastError}` : ''),
  );
}

const isOfferFor = (schoolName) => (m) => m.subject?.startsWith('Can you review') && m.subject.includes(schoolName);

/**
 * Wait for `minCount` offer emails about `schoolName` (request `reference`);
 * newest first. If none comes, say why: the matcher's "Needs attention" email
 * to the administrator lists the rules that ruled the pool out.
 */
async function waitForOffers(schoolName, reference, { minCount = 1, timeoutMs = 10_000 } = {}) {
  try {
    return await waitForMail(isOfferFor(schoolName), `offer email(s) ("Can you review ...") naming ${schoolName}`, { minCount, timeoutMs });
  } catch (err) {
    const what = `No ${minCount > 1 ? 'further ' : ''}offer reached a reviewer for ${schoolName} (${reference}, a Camden mainstream primary) within ${timeoutMs / 1000} s`;
    const attention = (await allMail().catch(() => [])).find((m) => m.subject === `Needs attention: no reviewer found for ${reference}`);
    if (attention) {
      const reasons = textOf(attention)
        .split('\n')
        .filter((line) => line.startsWith('- '))
        .map((line) => line.slice(2).trim());
      err.message =
        `${what}: the matcher found no eligible reviewer and emailed the administrator instead. ` +
        `Reviewers ruled out: ${reasons.join('; ')}. Only two demo reviewers can lead a Camden primary review ` +
        `(capacity 2 and 3 a term), and every open offer and booked visit counts against it, so a reused stack ` +
        `runs out after a few runs: restart the stack or start the local runner with a new --prefix.`;
    } else {
      err.message =
        `${what}: the matcher should offer it to a reviewer of the demo pool within a few seconds ` +
        `(is the local runner started without --no-demo-data?). ${err.message}`;
    }
    throw err;
  }
}

/** The one offer link of an offer email. */
function offerLinkOf(mail) {
  const links = (mail.links ?? []).filter((href) => OFFER_LINK.test(href));
  assert.equal(links.length, 1, `offer email "${mail.subject}" should have one /offers/ link; links: ${JSON.stringify(mail.links)}`);
  const link = new URL(links[0]);
  assert.equal(link.origin, new URL(baseUrl()).origin, `the offer link ${links[0]} does not point at this site`);
  return links[0];
}

/** The single recipient of an offer email. */
function recipientOf(mail) {
  assert.equal(mail.to?.length, 1, `offer email "${mail.subject}" should go to one reviewer, went to ${JSON.stringify(mail.to)}`);
  return mail.to[0].toLowerCase();
}

/** Wait for one school's request and its first offer; return the offer's link and recipient. */
async function firstOffer(request) {
  const [offer] = await waitForOffers(request.schoolName, request.reference);
  assert.ok(offer.subject.includes(request.reference), `offer subject "${offer.subject}" lacks the reference ${request.reference}`);
  return { mail: offer, link: offerLinkOf(offer), reviewer: recipientOf(offer) };
}

// ---------------------------------------------------------------------------
// The offer page

/** Check the open offer page (GET of the link) shows the request and both forms. */
async function expectOpenOffer(page, request, link) {
  assert.equal(page.url(), link, 'the offer page should stay at its link');
  const title = await page.title();
  assert.ok(title.startsWith(`Review for ${request.schoolName}`), `offer page <title> is "${title}"`);
  assert.equal((await page.locator('h1').innerText()).trim(), `Can you review ${request.schoolName}?`);
  const main = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
  for (const text of [
    `Reference ${request.reference}`,
    'Primary, Mainstream',
    'Camden',
    LEARNING_GOAL,
    `${longDate(dayFromToday(WINDOW_1[0]))} to ${longDate(dayFromToday(WINDOW_1[1]))}`,
    `${longDate(dayFromToday(WINDOW_2[0]))} to ${longDate(dayFromToday(WINDOW_2[1]))}`,
    'Please answer by',
  ]) {
    assert.ok(main.includes(text), `the offer page does not show "${text}"; it says: ${main.slice(0, 800)}`);
  }
  const action = new URL(link).pathname;
  for (const [decision, button] of [
    ['accept', 'Accept this review'],
    ['decline', 'Decline this review'],
  ]) {
    const form = page.locator('form').filter({ has: page.locator(`input[name="decision"][value="${decision}"]`) });
    assert.equal(await form.count(), 1, `the offer page should have one ${decision} form`);
    assert.equal((await form.getAttribute('method'))?.toLowerCase(), 'post', `the ${decision} form should POST`);
    assert.equal(await form.getAttribute('action'), action, `the ${decision} form should post back to the link`);
    assert.equal(await form.getByRole('button', { name: button }).count(), 1, `the ${decision} form has no "${button}" button`);
  }
  assert.equal(await page.locator('#visit_date').getAttribute('type'), 'date', '#visit_date should be a date input');
  assert.equal(await page.getByLabel('Visit date').count(), 1, '#visit_date has no "Visit date" label');
  assert.equal(await page.getByLabel('Reason (optional)').count(), 1, '#reason has no "Reason (optional)" label');
}

/** Open the offer link in the browser and check it is the open offer. */
async function openOffer(page, request, link) {
  const response = await page.goto(link);
  assert.equal(response?.status(), 200, `GET ${new URL(link).pathname} answered ${response?.status()}`);
  await expectOpenOffer(page, request, link);
}

/** Accept with `date` (YYYY-MM-DD); returns the response of the page it leads to. */
async function accept(page, date) {
  await page.fill('#visit_date', date);
  return clickAndWait(page, page.getByRole('button', { name: 'Accept this review' }));
}

/** The "You accepted/declined this review" page, after the POST's 303 back to the link. */
async function expectAnswered(page, response, link, heading) {
  assert.equal(await redirectStatus(response), 303, 'the answer should be a POST answered 303 See Other');
  assert.equal(response?.status(), 200, `the page after answering answered ${response?.status()}`);
  assert.equal(page.url(), link, 'after answering, the browser should be back at the offer link');
  assert.equal((await page.locator('h1').innerText()).trim(), heading);
  assert.equal(await page.getByRole('button', { name: /Accept this review|Decline this review/ }).count(), 0, 'an answered offer should not offer Accept or Decline again');
}

/**
 * A school sends a request and its first offer is accepted for a free weekday in window 1 (or,
 * when that reviewer's term is full on a reused stack, in window 2).
 */
async function requestAndAccept(page) {
  const request = await sendRequest(page);
  const offer = await firstOffer(request);
  await openOffer(page, request, offer.link);
  let visitDay = await freeWeekday(offer, WINDOW_1);
  let response = await accept(page, iso(visitDay));
  if (response?.status() === 409) {
    await page.goto(offer.link);
    visitDay = await freeWeekday(offer, WINDOW_2);
    response = await accept(page, iso(visitDay));
  }
  await expectAnswered(page, response, offer.link, 'You accepted this review');
  return { request, offer, visitDay };
}

/** An email's plain-text part, without carriage returns. */
function textOf(mail) {
  return String(mail.text ?? '').replace(/\r/g, '');
}

// ---------------------------------------------------------------------------
// Tests

test('a reviewer accepts an offer: a Saturday is refused, a weekday books the visit (JavaScript on)', async (t) => {
  await withPage(t, async (page) => {
    const request = await sendRequest(page);
    const [confirmation] = await readMail(request.email, { timeoutMs: 10_000 });
    const statusLink = (confirmation.links ?? []).find((href) => STATUS_LINK.test(href));
    assert.ok(statusLink, `the school's confirmation email has no status link; links: ${JSON.stringify(confirmation.links)}`);

    const offer = await firstOffer(request);
    const reviewerName = textOf(offer.mail).match(/^Dear (.+),$/m)?.[1];
    assert.ok(reviewerName, `the offer email does not greet the reviewer by name: ${textOf(offer.mail).slice(0, 300)}`);

    await openOffer(page, request, offer.link);
    await expectNoAxeViolations(page, 'offer page');

    // A Saturday inside window 1: refused, with the error summary and the field's error.
    const saturday = daysOf(WINDOW_1).find(isSaturday);
    const response422 = await accept(page, iso(saturday));
    assert.equal(response422?.status(), 422, `accepting for Saturday ${iso(saturday)} answered ${response422?.status()}, expected 422`);
    assert.equal(page.url(), offer.link, 'the error state should be shown at the offer link');
    const title = await page.title();
    assert.ok(title.startsWith(`Error: Review for ${request.schoolName}`), `error state <title> is "${title}"`);
    const summary = page.locator('.error-summary');
    assert.equal(await summary.count(), 1, 'there should be one error summary');
    assert.equal((await summary.locator('h2').innerText()).trim(), 'There is a problem');
    const summaryLinks = await summary.locator('a').evaluateAll((links) => links.map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim() })));
    assert.deepEqual(summaryLinks, [{ href: '#visit_date', text: 'Choose a school day: Monday to Friday' }], 'error summary links');
    const fieldError = page.locator('#visit_date-error.error-message');
    assert.equal(await fieldError.count(), 1, '#visit_date has no .error-message with id visit_date-error');
    assert.match((await fieldError.innerText()).replace(/\s+/g, ' '), /Choose a school day: Monday to Friday/);
    const describedBy = (await page.locator('#visit_date').getAttribute('aria-describedby')) ?? '';
    assert.ok(describedBy.split(/\s+/).includes('visit_date-error'), `#visit_date aria-describedby="${describedBy}" lacks visit_date-error`);
    assert.equal(await page.inputValue('#visit_date'), iso(saturday), 'the date typed was lost');
    assert.equal((await page.locator('h1').innerText()).trim(), `Can you review ${request.schoolName}?`, 'the offer is still shown under the error');
    await expectNoAxeViolations(page, 'offer page, Saturday refused (422)');

    // The summary link takes the reviewer to the date field.
    await summary.locator('a').first().click();
    await page.waitForFunction(() => document.activeElement?.id === 'visit_date', null, { timeout: 2_000 }).catch(() => {});
    assert.equal(await page.evaluate(() => document.activeElement?.id ?? null), 'visit_date', 'the summary link should move focus to #visit_date');

    // A weekday inside window 1: booked.
    let visitDay = await freeWeekday(offer, WINDOW_1);
    let response = await accept(page, iso(visitDay));
    if (response?.status() === 409 && (await page.locator('h1').innerText()).includes('diary for that term is full')) {
      // Only when the stack is reused: this reviewer's term is already booked up. Try a day in the other window.
      t.diagnostic(`${offer.reviewer} is full in the term of ${iso(visitDay)}; trying window 2`);
      await expectNoAxeViolations(page, 'offer page, reviewer at capacity (409)');
      await page.goto(offer.link);
      visitDay = await freeWeekday(offer, WINDOW_2);
      response = await accept(page, iso(visitDay));
    }
    await expectAnswered(page, response, offer.link, 'You accepted this review');
    const main = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    assert.ok(main.includes(`The visit is on ${longDate(visitDay)}`), `the accepted page should give the visit date ${longDate(visitDay)}: ${main}`);
    await expectNoAxeViolations(page, 'offer page, accepted');

    // Both sides get "Visit booked" with a calendar file.
    const subject = `Visit booked: ${request.schoolName} on ${longDate(visitDay)}`;
    for (const [who, address] of [
      ['school contact', request.email],
      ['reviewer', offer.reviewer],
    ]) {
      const [booked] = await waitForMail(
        (m) => m.subject === subject && (m.to ?? []).some((to) => to.toLowerCase() === address.toLowerCase()),
        `"${subject}" email to the ${who} (${address})`,
      );
      const ics = (booked.attachments ?? []).filter((a) => a.filename === 'visit.ics');
      assert.equal(ics.length, 1, `the ${who}'s "Visit booked" email should carry visit.ics; attachments: ${JSON.stringify(booked.attachments)}`);
      assert.match(ics[0].content_type, /^text\/calendar\b/, `visit.ics has content type ${ics[0].content_type}`);
      assert.ok(ics[0].size > 0, 'visit.ics is empty');
    }
    const [schoolBooked] = await waitForMail((m) => m.subject === subject && m.to.includes(request.email), 'school booking email');
    assert.ok(
      textOf(schoolBooked).includes(`${reviewerName} will review ${request.schoolName} on ${longDate(visitDay)}.`),
      `the school's "Visit booked" email should name ${reviewerName}: ${textOf(schoolBooked).slice(0, 400)}`,
    );

    // The school's private status page shows the booking.
    const statusResponse = await page.goto(statusLink);
    assert.equal(statusResponse?.status(), 200, `the status page answered ${statusResponse?.status()}`);
    const status = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    assert.ok(
      status.includes(`${reviewerName} will visit on ${longDate(visitDay)}.`),
      `the status page should say "${reviewerName} will visit on ${longDate(visitDay)}."; it says: ${status}`,
    );
    await expectNoAxeViolations(page, 'status page, visit booked');
  });
});

test('a reviewer declines an offer with JavaScript off, and the next reviewer is asked', async (t) => {
  await withPage(
    t,
    async (page) => {
      const request = await sendRequest(page);
      const offer = await firstOffer(request);

      await openOffer(page, request, offer.link);
      await expectNoAxeViolations(page, 'offer page (no JavaScript)');

      await page.getByLabel('Reason (optional)').fill('I am away on a course that week.');
      const response = await clickAndWait(page, page.getByRole('button', { name: 'Decline this review' }));
      await expectAnswered(page, response, offer.link, 'You declined this review');
      await expectNoAxeViolations(page, 'offer page, declined (no JavaScript)');

      // The matcher moves on to someone else.
      const offers = await waitForOffers(request.schoolName, request.reference, { minCount: 2 });
      assert.equal(offers.length, 2, `expected two offer emails for ${request.schoolName}, got ${offers.length}`);
      const next = offers.find((m) => offerLinkOf(m) !== offer.link);
      assert.ok(next, 'the second offer email carries the same link as the first');
      assert.notEqual(recipientOf(next), offer.reviewer, `the second offer went to ${recipientOf(next)} again, who declined`);
      assert.ok(next.subject.includes(request.reference), `second offer subject "${next.subject}" lacks ${request.reference}`);

      // The declined link stays declined.
      const again = await page.goto(offer.link);
      assert.equal(again?.status(), 200);
      assert.equal((await page.locator('h1').innerText()).trim(), 'You declined this review');
    },
    { javaScriptEnabled: false },
  );
});

test('a tampered offer link shows "This link does not work" (403)', async (t) => {
  await withPage(t, async (page) => {
    const request = await sendRequest(page);
    const offer = await firstOffer(request);
    const token = new URL(offer.link).pathname.split('/').pop();
    const parts = token.split('.');
    assert.equal(parts.length, 4, `offer token "${token}" should have four dot-separated parts`);
    const [offerId, action, expires, signature] = parts;

    // One changed character in the middle of the signature.
    const i = Math.floor(signature.length / 2);
    const flipped = signature.slice(0, i) + (signature[i] === 'A' ? 'B' : 'A') + signature.slice(i + 1);
    const tampered = [
      { label: 'signature changed', token: [offerId, action, expires, flipped].join('.') },
      { label: 'expiry moved', token: [offerId, action, String(Number(expires) + 86_400), signature].join('.') },
      { label: 'link cut short', token: token.slice(0, -10) },
    ];
    for (const { label, token: bad } of tampered) {
      const response = await page.goto(`${baseUrl()}/offers/${bad}`);
      assert.equal(response?.status(), 403, `tampered link (${label}) answered ${response?.status()}, expected 403`);
      assert.equal((await page.locator('h1').innerText()).trim(), 'This link does not work', `tampered link (${label})`);
      assert.ok((await page.title()).startsWith('This link does not work'), `tampered link (${label}) <title> is "${await page.title()}"`);
      assert.equal(await page.getByRole('button').count(), 0, `tampered link (${label}) should offer no buttons`);
      await expectNoAxeViolations(page, `tampered offer link (${label}), 403`);
    }

    // The untouched link still works.
    await openOffer(page, request, offer.link);
  });
});

test('opening an offer link twice changes nothing', async (t) => {
  await withPage(t, async (page) => {
    const request = await sendRequest(page);
    const offer = await firstOffer(request);

    // A mail scanner fetches the link first, then the reviewer opens it twice.
    const scanned = await fetch(offer.link, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    assert.equal(scanned.status, 200, `a plain GET of the offer link answered ${scanned.status}`);
    await openOffer(page, request, offer.link);
    await openOffer(page, request, offer.link);
    assert.equal(await page.getByRole('button', { name: 'Accept this review' }).isVisible(), true, 'Accept is no longer offered');
    assert.equal(await page.getByRole('button', { name: 'Decline this review' }).isVisible(), true, 'Decline is no longer offered');
    await expectNoAxeViolations(page, 'offer page, opened twice');

    // Nothing was sent because of the visits: still one offer, and the school's
    // status page still waits for the reviewer's answer.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const offers = (await allMail()).filter(isOfferFor(request.schoolName));
    assert.equal(offers.length, 1, `opening the link should send nothing, but there are ${offers.length} offer emails for ${request.schoolName}`);
    const visitsBooked = (await allMail()).filter((m) => m.subject?.startsWith('Visit booked') && m.subject.includes(request.schoolName));
    assert.equal(visitsBooked.length, 0, 'opening the link should book nothing');
    const [confirmation] = await readMail(request.email);
    const statusLink = (confirmation.links ?? []).find((href) => STATUS_LINK.test(href));
    assert.ok(statusLink, 'the confirmation email has no status link');
    await page.goto(statusLink);
    const status = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    assert.ok(status.includes('waiting for their answer'), `the status page should still wait for the reviewer: ${status}`);
  });
});

test('after accepting, the lead asks to move the visit on the review page and the school confirms (JavaScript off)', async (t) => {
  await withPage(
    t,
    async (page) => {
      const { request, offer, visitDay } = await requestAndAccept(page);

      // The reviewer's booking email links to their review page.
      const booked = `Visit booked: ${request.schoolName} on ${longDate(visitDay)}`;
      const [reviewerMail] = await waitForMail((m) => m.subject === booked && m.to.includes(offer.reviewer), 'the reviewer\'s booking email');
      const reviewLink = (reviewerMail.links ?? []).find((href) => /\/reviews\/[^/?#]+$/.test(href));
      assert.ok(reviewLink, `the reviewer's booking email has no /reviews/ link: ${JSON.stringify(reviewerMail.links)}`);
      assert.equal((await page.goto(reviewLink))?.status(), 200);
      assert.equal((await page.locator('h1').innerText()).trim(), `Your review of ${request.schoolName}`);
      const main = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
      assert.ok(main.includes(`The visit is booked for ${longDate(visitDay)}`), `the review page should give the date: ${main.slice(0, 500)}`);
      await expectNoAxeViolations(page, 'review page');

      // Ask for a Saturday: refused on the page; then a weekday three weeks later.
      await page.locator('summary', { hasText: 'Ask to change the date' }).click();
      const saturday = dayFromToday(WINDOW_2[0]);
      while (!isSaturday(saturday)) saturday.setUTCDate(saturday.getUTCDate() + 1);
      await page.fill('#new_date', iso(saturday));
      const refused = await clickAndWait(page, page.getByRole('button', { name: 'Ask to change the date' }));
      assert.equal(refused?.status(), 422, `asking for a Saturday answered ${refused?.status()}`);
      assert.ok((await page.title()).startsWith('Error: '), `error state <title> is "${await page.title()}"`);
      assert.match(await page.locator('#new_date-error').innerText(), /Monday to Friday/);
      assert.equal(await page.inputValue('#new_date'), iso(saturday), 'the date typed was lost');
      await expectNoAxeViolations(page, 'review page, date refused (422)');

      const newDay = new Date(visitDay.getTime() + 21 * DAY_MS);
      await page.fill('#new_date', iso(newDay));
      await page.fill('#date_reason', 'Our staff training day moved.');
      const asked = await clickAndWait(page, page.getByRole('button', { name: 'Ask to change the date' }));
      assert.equal(await redirectStatus(asked), 303);
      const waiting = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
      assert.ok(waiting.includes(`You asked to move the visit to ${longDate(newDay)}`), waiting.slice(0, 500));
      await expectNoAxeViolations(page, 'review page, change waiting');

      // The school is asked by email and confirms on its status page.
      const [ask] = await waitForMail((m) => m.subject?.startsWith(`Can the visit move to ${longDate(newDay)}?`) && m.to.includes(request.email), 'the school\'s date-change email');
      const statusLink = (ask.links ?? []).find((href) => STATUS_LINK.test(href));
      assert.ok(statusLink, 'the date-change email has no status link');
      await page.goto(statusLink);
      const status = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
      assert.ok(status.includes(`asked to move the visit to ${longDate(newDay)}`) && status.includes('Our staff training day moved.'), status.slice(0, 800));
      await expectNoAxeViolations(page, 'status page, date change to answer');
      const moved = await clickAndWait(page, page.getByRole('button', { name: `Move the visit to ${longDate(newDay)}` }));
      assert.equal(await redirectStatus(moved), 303);
      const after = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
      assert.ok(after.includes(`The visit is booked for ${longDate(newDay)}`), after.slice(0, 800));
      await expectNoAxeViolations(page, 'status page, visit moved');
      await waitForMail((m) => m.subject === `Visit moved: ${request.schoolName} on ${longDate(newDay)}` && m.to.includes(offer.reviewer), 'the reviewer\'s "Visit moved" email');
    },
    { javaScriptEnabled: false },
  );
});

test('the lead reviewer opens the preparation page, downloads the school\'s PDF and saves notes', async (t) => {
  await withPage(t, async (page) => {
    const { request, offer, visitDay } = await requestAndAccept(page);

    // The school shares a PDF through its evidence page (straight to S3).
    const [confirmation] = await readMail(request.email);
    const statusLink = (confirmation.links ?? []).find((href) => STATUS_LINK.test(href));
    await page.goto(`${statusLink}/evidence`);
    await page.getByLabel('Name of the document').fill('Provision map');
    await page.getByLabel('Provision map', { exact: true }).check();
    await page.getByLabel('PDF (.pdf)').check();
    await page.getByLabel('I confirm that the file does not name or identify any pupil').check();
    await clickAndWait(page, page.getByRole('button', { name: 'Continue' }));
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
    await page.getByLabel('Choose the file').setInputFiles({ name: 'provision-map.pdf', mimeType: 'application/pdf', buffer: pdf });
    await clickAndWait(page, page.getByRole('button', { name: 'Upload file' }));

    // The reviewer's page lists it once the checker has received it; the link downloads it.
    const booked = `Visit booked: ${request.schoolName} on ${longDate(visitDay)}`;
    const [reviewerMail] = await waitForMail((m) => m.subject === booked && m.to.includes(offer.reviewer), 'the reviewer\'s booking email');
    const reviewLink = (reviewerMail.links ?? []).find((href) => /\/reviews\/[^/?#]+$/.test(href));
    const deadline = Date.now() + 10_000;
    for (;;) {
      await page.goto(reviewLink);
      if (await page.getByRole('link', { name: /Provision map/ }).count()) break;
      assert.ok(Date.now() < deadline, 'the school\'s file never appeared on the preparation page');
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.match(await page.locator('main').innerText(), /The school has not started its self-evaluation yet\./);
    await expectNoAxeViolations(page, 'preparation page with evidence');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Provision map/ }).click()]);
    assert.equal(download.suggestedFilename(), 'Provision map.pdf');
    const chunks = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk);
    assert.deepEqual(Buffer.concat(chunks), pdf, 'the downloaded file is the school\'s PDF');

    // Notes for the pre-visit analysis save (autosave with JavaScript on).
    await page.getByLabel('Your notes').fill('Ask the SENCO about the provision map review cycle.');
    await page.waitForFunction(() => /Saved at/.test(document.getElementById('autosave-status')?.textContent ?? ''), null, { timeout: 10_000 });
    await page.reload({ waitUntil: 'load' });
    assert.equal(await page.getByLabel('Your notes').inputValue(), 'Ask the SENCO about the provision map review cycle.');
    await expectNoAxeViolations(page, 'preparation page with notes');
  });
});
