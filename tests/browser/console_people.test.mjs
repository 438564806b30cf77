// The console's people pages, without JavaScript: a coordinator imports reviewers (a file
// uploaded with one bad line shows that line and stores nothing, as does an empty file or the
// same lines pasted into the box; the corrected file is imported), adds a
// reviewer with a bad field and then corrects it, deactivates them, invites a viewer and
// removes them; a viewer reads the pool and the log with no action on them and gets the 403
// page for the staff. Every state, error states included, has no axe violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { signInAs } from './console_session.mjs';

useBrowser();

const HEADER =
  'name,email,home_school_urn,local_authority,regions,phases,school_types,may_lead,capacity_per_term';

function address(name) {
  return `${name}-${randomUUID()}@example.org`;
}

function row(name, email, urn = '100001') {
  return `${name},${email},${urn},202,london,primary,mainstream,yes,2`;
}

async function errorSummary(page) {
  return (await page.locator('.error-summary').innerText()).trim();
}

test('a reviewer import with one bad line shows that line and stores nothing', async (t) => {
  await withPage(
    t,
    async (page) => {
      await signInAs(page, 'coordinator');
      await page.goto('/console/reviewers');
      assert.equal(await page.locator('h1').innerText(), 'Reviewers');
      await expectNoAxeViolations(page, 'reviewers page');

      const first = `First ${randomUUID().slice(0, 8)}`;
      const second = `Second ${randomUUID().slice(0, 8)}`;
      const firstEmail = address('first');
      const secondEmail = address('second');
      // A file saved from a spreadsheet (CRLF line ends), chosen in the file input.
      const bad = [HEADER, row(first, firstEmail), row(second, secondEmail, '12345')].join('\r\n');
      await page.getByLabel('CSV file', { exact: true }).setInputFiles({
        name: 'pool.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(bad),
      });
      await page.getByRole('button', { name: 'Import' }).click();
      const summary = await errorSummary(page);
      assert.match(summary, /Nothing was imported/);
      assert.match(summary, /line 3: home_school_urn "12345" must be 6 digits/);
      assert.equal(await page.locator('#import-errors li').count(), 1, summary);
      assert.equal(await page.locator('#pool').getByText(first).count(), 0, 'nothing stored');
      // The error links to the file input, where the corrected file is chosen.
      assert.equal(await page.locator('#import-errors a').getAttribute('href'), '#import-file');
      await expectNoAxeViolations(page, 'reviewers page, uploaded file refused');

      // An empty file is refused with a clear reason.
      await page.getByLabel('CSV file', { exact: true }).setInputFiles({
        name: 'empty.csv',
        mimeType: 'text/csv',
        buffer: Buffer.alloc(0),
      });
      await page.getByRole('button', { name: 'Import' }).click();
      assert.match(await errorSummary(page), /The file empty\.csv is empty/);
      await expectNoAxeViolations(page, 'reviewers page, empty file refused');

      // Pasted into the box instead: refused, the text kept in the box.
      const pasted = [HEADER, row(first, firstEmail), row(second, secondEmail, '12345')].join('\n');
      await page.getByLabel('Or paste its lines here').fill(pasted);
      await page.getByRole('button', { name: 'Import' }).click();
      assert.match(await errorSummary(page), /line 3: home_school_urn "12345" must be 6 digits/);
      assert.equal(await page.getByLabel('Or paste its lines here').inputValue(), pasted);
      await expectNoAxeViolations(page, 'reviewers page, pasted import refused');

      const good = [HEADER, row(first, firstEmail), row(second, secondEmail)].join('\r\n');
      await page.getByLabel('Or paste its lines here').fill('');
      await page.getByLabel('CSV file', { exact: true }).setInputFiles({
        name: 'pool.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(good),
      });
      await page.getByRole('button', { name: 'Import' }).click();
      assert.match(await page.locator('#notice').innerText(), /^Imported 2 reviewers/);
      assert.equal(await page.locator('#pool').getByRole('link', { name: first }).count(), 1);
      assert.equal(await page.locator('#pool').getByRole('link', { name: second }).count(), 1);
      await expectNoAxeViolations(page, 'reviewers page, imported');
    },
    { javaScriptEnabled: false },
  );
});

test('a coordinator adds a reviewer, a bad field first, saves from an old page, then deactivates them', async (t) => {
  await withPage(
    t,
    async (page, context) => {
      await signInAs(page, 'coordinator');
      await page.goto('/console/reviewers/new');
      await expectNoAxeViolations(page, 'new reviewer form');
      const name = `Added ${randomUUID().slice(0, 8)}`;
      await page.getByLabel('Full name').fill(name);
      await page.getByLabel('Email address').fill(address('added'));
      await page.getByLabel('Home school URN').fill('100002');
      await page.getByLabel('Local authority code').fill('999');
      await page.getByLabel('Regions they will travel to').fill('london');
      await page.getByLabel('Phases they know').fill('primary');
      await page.getByLabel('School types they know').fill('mainstream');
      await page.getByLabel('May lead a review').fill('yes');
      await page.getByRole('button', { name: 'Save' }).click();
      const summary = await errorSummary(page);
      assert.match(summary, /Nothing was saved/);
      assert.match(summary, /Local authority code: "999" is not a local authority code/);
      assert.equal(await page.getByLabel('Full name').inputValue(), name, 'the form keeps what was typed');
      await expectNoAxeViolations(page, 'new reviewer form, bad field');

      await page.getByLabel('Local authority code').fill('202');
      await page.getByRole('button', { name: 'Save' }).click();
      assert.equal(await page.locator('h1').innerText(), name);
      assert.equal(await page.locator('#notice').innerText(), 'The reviewer was added.');
      assert.match(await page.locator('#reviewer-audit').innerText(), /reviewer added/);
      await expectNoAxeViolations(page, 'reviewer page, added');

      // Another tab saves the reviewer first; this page, read before, is refused with both
      // versions of each field that differs.
      const other = await context.newPage();
      await other.goto(page.url());
      await other.getByLabel('Reviews per term').fill('3');
      await other.getByRole('button', { name: 'Save' }).click();
      assert.equal(await other.locator('#notice').innerText(), 'Your changes were saved.');
      await other.close();
      await page.getByLabel('Reviews per term').fill('4');
      await page.getByRole('button', { name: 'Save' }).click();
      assert.match(await page.locator('#stale').innerText(), /nothing was saved/);
      const row = page.locator('#stale-differences tr', { hasText: 'Reviews per term' });
      assert.deepEqual(
        (await row.locator('th, td').allInnerTexts()).map((s) => s.trim()),
        ['Reviews per term', '4', '3'],
      );
      assert.equal(await page.locator('#stale-differences tbody tr').count(), 1);
      await expectNoAxeViolations(page, 'reviewer page, saved from an old page');
      // Saved again from this page (now based on what is saved), it replaces the other tab's.
      await page.getByRole('button', { name: 'Save' }).click();
      assert.equal(await page.locator('#notice').innerText(), 'Your changes were saved.');
      assert.equal(await page.getByLabel('Reviews per term').inputValue(), '4');

      await page.getByRole('button', { name: 'Deactivate' }).click();
      assert.match(await page.locator('#status').innerText(), /^Inactive/);
      assert.match(await page.locator('#reviewer-audit').innerText(), /reviewer deactivated/);
      await expectNoAxeViolations(page, 'reviewer page, deactivated');

      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByLabel('About').selectOption('reviewer');
      await page.getByRole('button', { name: 'Filter' }).click();
      const log = await page.locator('#audit').innerText();
      assert.match(log, /reviewer deactivated/);
      assert.match(log, new RegExp(name));
      await expectNoAxeViolations(page, 'audit log, filtered');
    },
    { javaScriptEnabled: false },
  );
});

test('a coordinator invites a viewer and removes them', async (t) => {
  await withPage(
    t,
    async (page) => {
      const me = await signInAs(page, 'coordinator');
      await page.goto('/console/reviewers');
      await page.getByRole('link', { name: 'Staff' }).click();
      assert.equal(await page.locator('h1').innerText(), 'Staff');
      assert.match(await page.locator('#staff').innerText(), new RegExp(me.email));
      await expectNoAxeViolations(page, 'staff page');

      await page.getByLabel('Email address').fill('not an address');
      await page.getByRole('button', { name: 'Invite' }).click();
      const summary = await errorSummary(page);
      assert.match(summary, /Enter an email address like name@school.sch.uk/);
      assert.match(summary, /Choose coordinator or viewer/);
      await expectNoAxeViolations(page, 'staff page, invite refused');

      const newcomer = address('newcomer');
      await page.getByLabel('Email address').fill(newcomer);
      await page.getByLabel('Viewer: reads, changes nothing').check();
      await page.getByRole('button', { name: 'Invite' }).click();
      assert.match(await page.locator('#notice').innerText(), new RegExp(`${newcomer} is invited`));
      const staffRow = page.locator('#staff tr', { hasText: newcomer });
      assert.match(await staffRow.innerText(), /Viewer\s+Invited: has not signed in yet/);
      await expectNoAxeViolations(page, 'staff page, invited');

      await staffRow.getByRole('link', { name: `Remove ${newcomer}` }).click();
      assert.equal(await page.locator('h1').innerText(), `Remove ${newcomer}?`);
      await expectNoAxeViolations(page, 'remove staff confirmation');
      await page.getByRole('button', { name: `Yes, remove ${newcomer}` }).click();
      assert.match(await page.locator('#notice').innerText(), /was removed/);
      assert.equal(await page.locator('#staff tr', { hasText: newcomer }).count(), 0);
      await expectNoAxeViolations(page, 'staff page, removed');
    },
    { javaScriptEnabled: false },
  );
});

test('a viewer reads the pool and the log, with no action, and cannot open the staff page', async (t) => {
  await withPage(
    t,
    async (page) => {
      await signInAs(page, 'viewer');
      await page.goto('/console/reviewers');
      assert.equal(await page.locator('h1').innerText(), 'Reviewers');
      assert.equal(await page.getByRole('button', { name: 'Import' }).count(), 0);
      assert.equal(await page.getByRole('link', { name: 'Add a reviewer' }).count(), 0);
      assert.equal(await page.getByRole('link', { name: 'Staff' }).count(), 0);
      await expectNoAxeViolations(page, 'reviewers page, viewer');

      await page.goto('/console/audit');
      assert.equal(await page.locator('h1').innerText(), 'Audit log');
      await expectNoAxeViolations(page, 'audit log, viewer');

      const response = await page.goto('/console/staff');
      assert.equal(response.status(), 403);
      assert.equal(await page.locator('h1').innerText(), 'You cannot do this');
      await expectNoAxeViolations(page, 'staff page refused to a viewer');
    },
    { javaScriptEnabled: false },
  );
});
