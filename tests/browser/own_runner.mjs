// A local runner of the test file's own, for a test that changes what every other file relies
// on (the programme's settings, the reviewer pool): the same binary `scripts/test` starts, on a
// free port, with its own table prefix and `--no-demo-data` (an empty pool, default settings).
// It inherits this process's environment (the emulators' endpoints; under
// `SEND_REVIEW_TEST_DATE`, the moved clock). `useOwnRunner()` at the top of a file starts it
// before the file's tests, points `baseUrl()` (and so every page and helper) at it, and stops
// it after them. Node runs each test file in a process of its own, so no other file sees it.
import { after, before } from 'node:test';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { REPO_ROOT } from './harness.mjs';

const RUNNER = path.join(REPO_ROOT, 'target', 'debug', 'local-runner');

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function answers(url) {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/** Starts the file's own runner before its tests and stops it after them. */
export function useOwnRunner() {
  let child = null;
  before(async () => {
    const port = await freePort();
    const prefix = `own${randomUUID().slice(0, 8)}`;
    const logs = path.join(REPO_ROOT, 'target', 'browser-runners');
    mkdirSync(logs, { recursive: true });
    const log = openSync(path.join(logs, `${prefix}.log`), 'w');
    child = spawn(
      RUNNER,
      ['--port', String(port), '--prefix', prefix, '--no-demo-data', '--parameter', 'SubmissionsPerIpPerHour=1000'],
      { env: { ...process.env, RUST_LOG: 'warn' }, stdio: ['ignore', log, log] },
    );
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 90_000;
    while (!(await answers(`${url}/health`))) {
      if (child.exitCode !== null) throw new Error(`the runner stopped (code ${child.exitCode}): see target/browser-runners/${prefix}.log`);
      if (Date.now() > deadline) throw new Error(`the runner did not answer in 90 s: see target/browser-runners/${prefix}.log`);
      await new Promise((r) => setTimeout(r, 500));
    }
    process.env.SEND_REVIEW_URL = url;
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const stopped = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await stopped;
    }
  });
}
