// Browser test harness for send-review.
//
// Runs under Node's built-in test runner (`node --test tests/browser/`), drives
// Debian's Chromium (/usr/bin/chromium) through playwright-core and audits pages
// with axe-core. It never downloads a browser and needs no network.
//
// Design
// ------
// * One Chromium per test FILE. `node --test` runs every file in its own
//   process, so a test file calls `useBrowser()` once at top level; that
//   registers node:test `before`/`after` hooks which launch and close the
//   browser for that file.
// * One fresh browser CONTEXT per TEST. `withPage(t, fn, opts)` opens a new
//   context + page (so cookies/storage never leak between tests), runs
//   `fn(page)`, saves a full-page screenshot to
//   <repo>/target/browser-screenshots/<sanitised test name>.png if `fn` throws,
//   and always closes the context.
// * JavaScript on/off is a per-context switch: `withPage(t, fn, { javaScriptEnabled: false })`
//   loads pages the way a no-JS browser would (scripts not run, <noscript> shown).
// * `expectNoAxeViolations(page, label)` works in both modes. axe's source is
//   injected with `page.evaluate(source)` rather than `page.addScriptTag`,
//   because an inline <script> tag is (a) blocked by a strict
//   Content-Security-Policy and (b) never executed when JavaScript is disabled,
//   whereas DevTools evaluation works in both cases. With JavaScript disabled,
//   Chromium runs evaluated code and promise reactions but no timer, message or
//   queueMicrotask callbacks, and axe needs those to finish. So for the duration
//   of the audit the harness swaps in promise-based `setTimeout(fn, 0)` and
//   `queueMicrotask`, turns off axe's `preload` (stylesheet/media fetching) and
//   skips iframes (their axe would talk by postMessage). The audit therefore
//   runs on the real no-JS DOM, not on a JS-enabled reload of the URL.
// * `readMail(address)` polls the local dev router's `/_dev/mail.json` outbox.
//
// Typical test file:
//
//   import { test } from 'node:test';
//   import assert from 'node:assert/strict';
//   import { baseUrl, useBrowser, withPage, expectNoAxeViolations } from './harness.mjs';
//
//   useBrowser();
//
//   test('landing page', async (t) => {
//     await withPage(t, async (page) => {
//       await page.goto(baseUrl() + '/');
//       await expectNoAxeViolations(page, 'landing page');
//     });
//   });

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** Absolute path of the repository root (two levels above this file). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Folder where `withPage` writes screenshots of failing tests. */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'target', 'browser-screenshots');

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** axe-core tags checked by `expectNoAxeViolations`. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

const DEFAULT_TIMEOUT_MS = 10_000;
const NAVIGATION_TIMEOUT_MS = 15_000;

/**
 * Base URL of the running app, from env SEND_REVIEW_URL (e.g. http://127.0.0.1:3000),
 * without a trailing slash.
 */
export function baseUrl() {
  const raw = process.env.SEND_REVIEW_URL;
  if (!raw || !raw.trim()) {
    throw new Error(
      'SEND_REVIEW_URL is not set. Start the local dev router and run e.g.\n' +
        '  SEND_REVIEW_URL=http://127.0.0.1:3000 node --test tests/browser/',
    );
  }
  let url;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new Error(`SEND_REVIEW_URL is not a valid URL: ${JSON.stringify(raw)}`);
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * The environment for Chromium: this process's, less libfaketime's. `SEND_REVIEW_TEST_DATE=...
 * scripts/test` moves the clock of node and of the stack; Chromium stalls under libfaketime, and
 * its own clock decides nothing the tests check (dates come from the pages).
 */
function browserEnv() {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name === 'LD_PRELOAD' || name.startsWith('FAKETIME')) delete env[name];
  }
  return env;
}

/** Launch headless Debian Chromium with flags that keep it from stalling on an offline machine. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    env: browserEnv(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Open a new context + page (viewport 1280x800). Pass `{ javaScriptEnabled: false }`
 * to load pages as a browser without JavaScript would. Close it with
 * `await page.context().close()` (withPage does this for you).
 */
export async function newPage(browser, { javaScriptEnabled = true } = {}) {
  const contextOptions = { viewport: { width: 1280, height: 800 }, javaScriptEnabled };
  // Lets tests write page.goto('/path') as well as page.goto(baseUrl() + '/path').
  if (process.env.SEND_REVIEW_URL) contextOptions.baseURL = baseUrl();
  const context = await browser.newContext(contextOptions);
  context.setDefaultTimeout(DEFAULT_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  try {
    return await context.newPage();
  } catch (err) {
    await context.close().catch(() => {});
    throw err;
  }
}

// ---------------------------------------------------------------------------
// Per-file browser + per-test page

let sharedBrowser = null;

/**
 * Call once at the top level of a test file: launches one Chromium before the
 * file's tests and closes it after them. Returns a getter for that browser.
 */
export function useBrowser() {
  before(async () => {
    sharedBrowser = await launchBrowser();
  });
  after(async () => {
    const browser = sharedBrowser;
    sharedBrowser = null;
    if (browser) await browser.close();
  });
  return () => {
    if (!sharedBrowser) throw new Error('The browser is only available while tests run (inside a test).');
    return sharedBrowser;
  };
}

/**
 * Run `fn(page, context)` on a fresh page of the file's browser (see useBrowser).
 * On failure saves a full-page screenshot to target/browser-screenshots/<test name>.png
 * and rethrows; always closes the context.
 * opts: { javaScriptEnabled = true, browser = the useBrowser() browser }.
 */
export async function withPage(t, fn, { javaScriptEnabled = true, browser = sharedBrowser } = {}) {
  if (!browser) {
    throw new Error('withPage: no browser. Call useBrowser() at the top level of the test file.');
  }
  const page = await newPage(browser, { javaScriptEnabled });
  const context = page.context();
  try {
    return await fn(page, context);
  } catch (err) {
    const file = await saveFailureScreenshot(page, testName(t));
    if (file) {
      // Put the path in the failure message itself so every reporter shows it.
      const note = `screenshot: ${path.relative(REPO_ROOT, file)}`;
      try {
        const original = err.message;
        const stack = err.stack; // read first: V8 formats the stack lazily, from the message
        err.message = `${original}\n    ${note}`;
        // Reporters that print err.stack would otherwise show the old message.
        if (typeof stack === 'string' && original && stack.includes(original)) {
          err.stack = stack.replace(original, () => err.message);
        }
      } catch {
        t.diagnostic?.(note); // not an Error, or a read-only message
      }
    }
    throw err;
  } finally {
    await context.close().catch(() => {});
  }
}

function testName(t) {
  return (t && (t.fullName || t.name)) || 'unnamed test';
}

/** File-name-safe version of a test name. */
export function sanitiseTestName(name) {
  const safe = String(name)
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[_.]+|[_.]+$/g, '')
    .slice(0, 150);
  return safe || 'unnamed-test';
}

async function saveFailureScreenshot(page, name) {
  const file = path.join(SCREENSHOT_DIR, `${sanitiseTestName(name)}.png`);
  try {
    if (page.isClosed()) return null;
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: file, fullPage: true, timeout: DEFAULT_TIMEOUT_MS });
    return file;
  } catch (err) {
    // Never let a screenshot problem hide the real test failure.
    console.error(`[harness] could not save screenshot for "${name}": ${err.message.split('\n')[0]}`);
    return null;
  }
}

// ---------------------------------------------------------------------------
// Accessibility

let axeSourcePromise = null;

function axeSource() {
  if (!axeSourcePromise) {
    const require = createRequire(import.meta.url);
    axeSourcePromise = readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  }
  return axeSourcePromise;
}

/**
 * True if the frame's document runs scripts (its context has JavaScript
 * enabled). The HTML parser treats <noscript> content as markup only when
 * scripting is disabled, which unlike an inline-handler probe is not affected
 * by the page's Content-Security-Policy.
 */
async function scriptingEnabled(frame) {
  return frame.evaluate(() => {
    try {
      const probe = document.createElement('div');
      probe.innerHTML = '<noscript><p></p></noscript>';
      return probe.querySelector('noscript p') === null;
    } catch {
      return true; // e.g. Trusted Types forbids innerHTML: assume the normal case
    }
  });
}

async function injectAxe(frame, source) {
  const present = await frame.evaluate(() => typeof window.axe === 'object' && typeof window.axe.run === 'function');
  if (!present) await frame.evaluate(source);
}

/**
 * Run axe-core (WCAG 2.0/2.1/2.2 A+AA and best-practice rules) on the page's
 * current state and fail with a readable list of violations. `label` names the
 * page/state in the message. Returns the axe results.
 */
export async function expectNoAxeViolations(page, label = page.url()) {
  const source = await axeSource();
  const scripting = await scriptingEnabled(page.mainFrame());
  if (scripting) {
    // Inject into every frame so axe can include iframe content in the report.
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      await injectAxe(frame, source).catch(() => {}); // detached/cross-origin frames: axe skips them
    }
  }
  await injectAxe(page.mainFrame(), source);

  const results = await page.evaluate(
    async ({ tags, scripting }) => {
      const options = { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] };
      const saved = { setTimeout: window.setTimeout, clearTimeout: window.clearTimeout, queueMicrotask: window.queueMicrotask };
      if (!scripting) {
        // JavaScript disabled: timer/microtask callbacks never fire, promise
        // reactions do. axe only needs zero-delay timers to make progress; its
        // non-zero timers are watchdogs that we leave unfired.
        let nextId = 1;
        const cancelled = new Set();
        window.setTimeout = (fn, ms = 0, ...args) => {
          const id = nextId++;
          if (typeof fn === 'function' && !(Number(ms) > 0)) {
            Promise.resolve().then(() => {
              if (!cancelled.has(id)) fn(...args);
            });
          }
          return id;
        };
        window.clearTimeout = (id) => cancelled.add(id);
        window.queueMicrotask = (fn) => void Promise.resolve().then(fn);
        options.preload = false;
        options.iframes = false;
      }
      try {
        const r = await window.axe.run(document, options);
        return {
          url: r.url,
          violations: r.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({ target: n.target, html: n.html })),
          })),
        };
      } finally {
        Object.assign(window, saved);
      }
    },
    { tags: AXE_TAGS, scripting },
  );

  if (results.violations.length > 0) {
    assert.fail(formatViolations(label, results, scripting));
  }
  return results;
}

const MAX_TARGETS = 3;

function formatViolations(label, results, scripting) {
  const { violations } = results;
  const lines = [
    `axe-core found ${violations.length} accessibility violation(s) on ${label} ` +
      `(${results.url}${scripting ? '' : ', JavaScript disabled'}):`,
  ];
  violations.forEach((v, i) => {
    lines.push(`  ${i + 1}. ${v.id} [${v.impact ?? 'unknown impact'}] ${v.help}`);
    lines.push(`     ${v.helpUrl}`);
    for (const node of v.nodes.slice(0, MAX_TARGETS)) {
      const target = node.target.map((part) => (Array.isArray(part) ? part.join(' >>> ') : part)).join(' → ');
      const html = node.html.length > 120 ? `${node.html.slice(0, 117)}...` : node.html;
      lines.push(`     - ${target}   ${html}`);
    }
    if (v.nodes.length > MAX_TARGETS) lines.push(`     ... and ${v.nodes.length - MAX_TARGETS} more element(s)`);
  });
  return lines.join('\n');
}

// ---------------------------------------------------------------------------
// Mail (local dev outbox)

function bareAddress(value) {
  const s = String(value ?? '').trim();
  const m = s.match(/<([^<>]+)>\s*$/);
  return (m ? m[1] : s).trim().toLowerCase();
}

/**
 * Poll GET <baseUrl>/_dev/mail.json until at least `minCount` (default 1)
 * messages to `toAddress` exist; return them (newest first, as the endpoint
 * orders them). Throws a descriptive error after `timeoutMs`.
 * Use a unique address per test so earlier mail can't satisfy the wait.
 */
export async function readMail(toAddress, { timeoutMs = 10_000, intervalMs = 200, minCount = 1 } = {}) {
  const wanted = bareAddress(toAddress);
  if (!wanted) throw new Error('readMail: toAddress is empty');
  // The runner keeps only this address's mail (`?to=`): the whole run's is polled for nothing.
  const url = `${baseUrl()}/_dev/mail.json?to=${encodeURIComponent(wanted)}`;
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let lastError = null;

  for (;;) {
    attempts += 1;
    try {
      const remaining = Math.max(1, deadline - Date.now());
      const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(Math.min(5_000, remaining)) });
      const body = await res.text();
      if (!res.ok) {
        lastError = `HTTP ${res.status} ${body.slice(0, 200)}`;
      } else {
        let list;
        try {
          list = JSON.parse(body);
        } catch {
          throw new Error(`readMail: ${url} did not return JSON: ${body.slice(0, 200)}`);
        }
        if (!Array.isArray(list)) {
          throw new Error(`readMail: ${url} should return a JSON array of messages, got: ${body.slice(0, 200)}`);
        }
        lastError = null;
        const mine = list.filter((msg) => (Array.isArray(msg?.to) ? msg.to : [msg?.to]).some((to) => bareAddress(to) === wanted));
        if (mine.length >= minCount) return mine;
      }
    } catch (err) {
      if (err.message.startsWith('readMail:')) throw err;
      lastError = err.cause?.message ? `${err.message}: ${err.cause.message}` : err.message;
    }
    if (Date.now() + intervalMs > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }

  const lastRecipients = await recipientsSeen();
  const seen = lastRecipients.length
    ? `mail seen for: ${lastRecipients.slice(0, 10).join(', ')}${lastRecipients.length > 10 ? ', ...' : ''}`
    : 'no mail seen for anyone';
  throw new Error(
    `readMail: expected ${minCount} message(s) to ${wanted} within ${timeoutMs} ms, ` +
      `polled GET ${url} ${attempts} time(s); ${seen}` +
      (lastError ? `; last error: ${lastError}` : ''),
  );
}

/** Everyone the run's mail went to (for readMail's failure message); [] if unreadable. */
async function recipientsSeen() {
  try {
    const res = await fetch(`${baseUrl()}/_dev/mail.json`, { signal: AbortSignal.timeout(5_000) });
    const list = await res.json();
    return [...new Set(list.flatMap((msg) => (Array.isArray(msg?.to) ? msg.to : [msg?.to])).map(bareAddress))];
  } catch {
    return [];
  }
}
