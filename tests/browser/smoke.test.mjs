// Smoke test: the landing page renders an accessible document (with and
// without JavaScript) and /health answers JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';

useBrowser();

async function checkLandingPage(page, label) {
  const response = await page.goto(baseUrl() + '/');
  assert.ok(response, 'navigation to / produced no response');
  assert.equal(response.status(), 200, `GET / answered ${response.status()} ${response.statusText()}`);

  const title = (await page.title()).trim();
  assert.notEqual(title, '', '<title> is missing or empty');

  const h1 = page.locator('h1');
  assert.ok((await h1.count()) >= 1, 'page has no <h1>');
  assert.notEqual((await h1.first().innerText()).trim(), '', '<h1> is empty');

  assert.ok((await page.locator('main').count()) >= 1, 'page has no <main> landmark');

  await expectNoAxeViolations(page, label);
}

test('landing page: 200, title, h1, main, no axe violations', async (t) => {
  await withPage(t, (page) => checkLandingPage(page, 'landing page'));
});

test('landing page without JavaScript: 200, title, h1, main, no axe violations', async (t) => {
  await withPage(t, (page) => checkLandingPage(page, 'landing page (no JavaScript)'), { javaScriptEnabled: false });
});

test('/health answers 200 with JSON containing "status"', async () => {
  const res = await fetch(baseUrl() + '/health', { signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  assert.equal(res.status, 200, `GET /health answered ${res.status}: ${body.slice(0, 200)}`);
  assert.match(res.headers.get('content-type') ?? '', /json/i, 'GET /health content-type is not JSON');
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    assert.fail(`GET /health body is not JSON: ${body.slice(0, 200)}`);
  }
  assert.ok(json && typeof json === 'object' && 'status' in json, `GET /health JSON has no "status" field: ${body.slice(0, 200)}`);
});
