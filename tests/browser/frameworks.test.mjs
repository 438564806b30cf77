// Reviews of other types than the whole-school one, each under its own framework, JavaScript
// off and on: the school asks for a teaching assistant deployment review or a Preparing for
// Adulthood review on the form (the chosen type's areas; a tick under another type does not
// count), its status page and self-evaluation show that framework's areas and prompts, and its
// final report and action plan follow them. Every page state is audited with axe.
//
// The request is left unconfirmed, so no demo reviewer is offered it (other files rely on
// them); the local runner's `POST /_dev/demo/final-report` books a stand-in lead and makes the
// report final, with the typical text under the request's own areas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, expectNoAxeViolations, useBrowser, withPage } from './harness.mjs';
import { clickAndWait, fillValidRequest, statusLinkFromMail, uniqueEmail } from './school.mjs';
import { postJson } from './review.mjs';

useBrowser();

const REVIEWS = [
  {
    type: 'ta_deployment',
    label: 'Teaching assistant deployment review',
    areas: [
      // With the framework's prompts for specialist settings (the school is a special school).
      ['everyday_classroom', 'Teaching assistants in everyday classrooms', "How are teaching assistants' roles in class planned around learners' plans?"],
      ['preparation', 'Preparation and time with teachers', "How does the class team meet to plan and review learners' progress?"],
    ],
  },
  {
    type: 'preparing_for_adulthood',
    label: 'Preparing for Adulthood review',
    areas: null, // read from the form: the first two areas of its group
  },
];

/** The areas of `type`'s group on the form: [key, title] each. */
async function areasOnForm(page, type) {
  const group = page.locator(`fieldset.focus-group[data-review-type="${type}"] input[type="checkbox"]`);
  const areas = [];
  for (let i = 0; i < (await group.count()); i += 1) {
    const box = group.nth(i);
    const id = await box.getAttribute('id');
    const title = (await page.locator(`label[for="${id}"]`).innerText()).trim();
    areas.push([(await box.getAttribute('value')).split(':')[1], title]);
  }
  return areas;
}

for (const [review, javaScriptEnabled] of [[REVIEWS[0], false], [REVIEWS[1], true], [REVIEWS[0], true], [REVIEWS[1], false]]) {
  const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off';

  test(`a ${review.label} follows its own framework from the form to the final report (${mode})`, async (t) => {
    await withPage(
      t,
      async (page) => {
        const email = uniqueEmail('framework');
        await page.goto(baseUrl() + '/request');
        await fillValidRequest(page, { email });
        // A special nursery (its self-evaluation asks the prompts for specialist settings).
        await page.check('[name="phase"][value="nursery"]');
        await page.check('[name="school_type"][value="special"]');
        await page.selectOption('#local_authority', '390');
        await page.getByLabel('School postcode').fill('NE8 1HH');
        await page.check(`[name="review_type"][value="${review.type}"]`);
        await page.check('[name="focus_scope"][value="chosen"]');
        const onForm = await areasOnForm(page, review.type);
        assert.ok(onForm.length >= 4, `the ${review.type} group lists its areas`);
        const areas = review.areas ?? onForm.slice(0, 2);
        for (const [key, title] of areas) {
          assert.ok(onForm.some(([k, t2]) => k === key && t2 === title), `${title} is offered`);
        }
        await expectNoAxeViolations(page, `request form, ${review.type} chosen (${mode})`);

        // Only a whole-school area ticked: it does not count for this type.
        await page.check('#focus_areas-send_review-leadership');
        await clickAndWait(page, page.getByRole('button', { name: 'Send request' }));
        assert.match(await page.title(), /^Error: /);
        assert.match(await page.locator('.error-summary').innerText(), /Select the focus areas you want/);
        assert.equal(await page.locator('#focus_areas').getAttribute('value'), `${review.type}:${onForm[0][0]}`, 'the summary links to the first box of the chosen type');
        await expectNoAxeViolations(page, `request form, no area of the type (${mode})`);

        for (const [key] of areas) await page.check(`#focus_areas-${review.type}-${key}, #focus_areas[value="${review.type}:${key}"]`);
        await clickAndWait(page, page.getByRole('button', { name: 'Send request' }));
        assert.equal((await page.locator('h1').innerText()).trim(), 'Request sent');
        const reference = (await page.locator('.panel__reference').innerText()).trim();

        // The request is not confirmed, so no demo reviewer is offered it (other files rely on
        // them); the local runner's hook books a stand-in lead and makes the report final.
        const statusLink = await statusLinkFromMail(email, { confirm: false });
        const final = await postJson('/_dev/demo/final-report', { reference });
        assert.equal(final.recommendations, 4);

        // The status page and the self-evaluation: this framework's areas and prompts.
        await page.goto(statusLink);
        const status = await page.locator('main').innerText();
        for (const [, title] of areas) assert.ok(status.includes(title), `${title} on the status page`);
        assert.ok(!status.includes('Leadership of SEND'), 'the whole-school area ticked under another type is not there');
        await expectNoAxeViolations(page, `status page, report final (${mode})`);
        await page.goto(`${statusLink}/self-evaluation`);
        const form = await page.locator('main').innerText();
        for (const [, title, prompt] of areas) {
          assert.ok(form.includes(title), `${title} in the self-evaluation`);
          if (prompt) assert.ok(form.includes(prompt), `the framework's prompt for ${title}`);
        }
        assert.equal(await page.locator('textarea[id^="evaluation_"]').count(), areas.length);
        await expectNoAxeViolations(page, `self-evaluation (${mode})`);

        // The final report has the framework's headings (its PDF: framework_reviews.rs, which
        // finalises through the lead's page; this hook stores no files).
        await page.goto(statusLink);
        await clickAndWait(page, page.getByRole('link', { name: 'Read your report' }));
        const report = await page.locator('main').innerText();
        for (const [, title] of areas) assert.ok(report.includes(title), `${title} heads a section of the report`);
        await expectNoAxeViolations(page, `report (${mode})`);
        await page.goto(statusLink);

        // The action plan works from the report's recommendations.
        await clickAndWait(page, page.getByRole('link', { name: 'Update your action plan' }));
        assert.equal(await page.locator('legend').count(), 4, 'one action per recommendation');
        await expectNoAxeViolations(page, `action plan (${mode})`);
      },
      { javaScriptEnabled },
    );
  });
}
