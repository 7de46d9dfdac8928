// `dala ui` against a real dala-server (world.mjs): the Sync button sends
// the laptop's record, and when a coordinator sends it back with a comment
// the next sync shows that comment on Home.

import assert from 'node:assert/strict';
import {after, test} from 'node:test';

import {SIZES, accessibilityProblems, ready, screenshot, watchedPage} from './browser.mjs';
import {DalaUi} from './dala_ui.mjs';
import {World, observation} from './world.mjs';

const COMMENT = 'Please recount the queue: 3 seems low for a Monday <b>morning</b>.';
const ids = {};
const world = new World().shareWithTests(async () => {
  world.volunteer('askar');
  ids.record = world.collect('askar', 'psc_observation', observation('ala_01', {queue_length: 3}));
});
let ui;
after(() => ui && ui.stop());

test('Sync sends the record; a record sent back shows the coordinator\'s comment on Home', async () => {
  ui = new DalaUi({...process.env, TZ: '<+05>-5', DALA_HOME: world.laptop('askar')});
  const page = await watchedPage(world.browser, {viewport: SIZES[1]});
  await page.goto(await ui.start());
  await ready(page, 'form.unlock');
  await page.fill('#passphrase', 'askar-laptop-passphrase');
  await page.click('form.unlock button[type=submit]');
  await ready(page, '#sync');
  await page.click('#sync');
  await page.waitForFunction(() => /1\D+0\D+0/.test(document.querySelector('.sync-result').textContent));

  const coordinator = await world.session('aigerim');
  const review = await coordinator('POST', `/submissions/${ids.record}/review`, {state: 'has_issues', comment: COMMENT});
  assert.equal(review.status, 200, JSON.stringify(review.body));

  await page.click('#sync');
  await ready(page, 'li.record.state-sent_back .sentback');
  assert.match(await page.textContent('li.record.state-sent_back .sentback'), /3 seems low for a Monday <b>morning<\/b>/);
  assert.equal(await page.$$eval('main b', (xs) => xs.length), 0);
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await screenshot(page, 'volunteer-home-sent-back');
  }
  assert.deepEqual(await accessibilityProblems(page), []);
  assert.deepEqual(page.problems, []);
});
