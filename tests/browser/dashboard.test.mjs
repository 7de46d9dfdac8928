// The coordinators' dashboard in Debian's Chromium, against a real
// dala-server filled by real `dala` laptops (world.mjs). The tests run in
// order, on one world: a coordinator's review week in small.

import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';

import {OFFICE_HOST, SIZES, accessibilityProblems, ready, screenshot, settled, signIn, watchedPage} from './browser.mjs';
import {DALA, PASSWORDS, World, observation} from './world.mjs';

const SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const HOSTILE = '<script>alert("x")</script> "><img src=x onerror=alert(1)> javascript:alert(2)';

const ids = {};

const world = new World().shareWithTests(async () => {
  world.volunteerWithRecords('askar', 40, 11);
  world.volunteerWithRecords('dina', 25, 12);
  world.volunteerWithRecords('ermek', 5, 13, HOSTILE);
  // A possible duplicate: two volunteers at one centre on one day.
  ids.dup1 = world.collect('askar', 'psc_observation', observation('ast_01'));
  ids.dup2 = world.collect('dina', 'psc_observation', observation('ast_01', {queue_length: 30}));
  // Hostile text in an answer; it must stay text everywhere.
  ids.hostile = world.collect('ermek', 'psc_observation', observation('shy_01', {notes: HOSTILE}));
  // A record to send back, and one to end in a conflict.
  ids.sendBack = world.collect('askar', 'psc_observation', observation('ala_01', {queue_length: 3}));
  ids.conflict = world.collect('dina', 'psc_observation', observation('ala_02', {waiting_minutes: 15}));
  // Exit interviews, whose centres' list carries a target per centre.
  for (const [v, centre, waited] of [['askar', 'ala_01', 40], ['askar', 'ala_02', 15], ['dina', 'ast_01', 25]]) {
    world.collect(v, 'citizen_exit_survey', {consent: 'yes', region: centre.slice(0, 3), centre, service: 'id_documents',
      waiting_minutes: waited, service_completed: 'yes', satisfaction: 4, informal_payment: 'no', info_clarity: 'clear',
      service_language: 'kk', language_preferred: 'yes', age_band: '35_44'});
  }
  for (const v of ['askar', 'dina', 'ermek']) world.dala(v, ['sync']);
  // The coordinator corrects the conflict record while Dina, offline,
  // changes the same answer: both land, and the field is in conflict.
  await world.conflict(ids.conflict, {editor: 'aigerim', volunteer: 'dina', field: 'waiting_minutes', value: 20, own: 18,
    note: 'recounted from the photo'});
});

async function apiAs(user, method, path, body) {
  return (await world.session(user))(method, path, body);
}

test('a wrong password is refused with a clear message, the right one signs in', async () => {
  const page = await watchedPage(world.browser);
  await page.goto(world.url + '/');
  await page.fill('#username', 'aigerim');
  await page.fill('#password', 'not the password');
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('#signin-message .notice.error');
  assert.match(await page.textContent('#signin-message'), /wrong/i);
  // The same answer for a user who does not exist: no account enumeration.
  await page.fill('#username', 'nobody-here');
  await page.fill('#password', 'not the password');
  await page.click('form.signin button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#signin-message')?.textContent.includes('wrong'));
  await page.fill('#username', 'aigerim');
  await page.fill('#password', PASSWORDS.aigerim);
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('ul.needs');
  assert.deepEqual(page.problems.filter((p) => !p.includes('401')), []);
  await page.context().close();
});

const PAGES = [
  {name: 'overview', hash: '#/overview', ready: 'ul.needs'},
  // The exit interviews are all of today: one column of records per day.
  {name: 'overview-of-one-day', hash: '#/overview?form=citizen_exit_survey', ready: 'ul.needs'},
  {name: 'submissions', hash: '#/submissions', ready: 'table.list'},
  {name: 'submissions-of-a-form', hash: '#/submissions?form=psc_observation', ready: '.export a'},
  {name: 'submission', hash: () => `#/submission/${ids.conflict}`, ready: 'dl.answers'},
  {name: 'duplicates', hash: '#/duplicates', ready: 'table.pair'},
  {name: 'indicators', hash: '#/indicators?form=psc_observation', ready: '.indicator'},
  {name: 'people', hash: '#/people', ready: 'table.list', user: 'ada'},
  {name: 'forms', hash: '#/forms', ready: 'table#forms'},
  {name: 'forms-of-an-admin', hash: '#/forms', ready: '#publish-form', user: 'ada'},
  {name: 'transparency', hash: '#/transparency', ready: '#verifier-key'},
];

// Text of an SVG chart that falls outside the chart's box, where it is cut
// off, or over another text of the same chart, or a histogram's bin of one
// value written as a range.
async function chartTextProblems(page) {
  return page.$$eval('svg.chart', (charts) => charts.flatMap((svg) => {
    const box = svg.viewBox.baseVal;
    const texts = [...svg.querySelectorAll('text')].map((t) => ({text: t.textContent, b: t.getBBox()}));
    const name = svg.getAttribute('aria-label');
    const out = [];
    for (const {text, b} of texts) {
      const range = text.split('–');
      if (range.length === 2 && range[0] === range[1]) out.push(`${name}: "${text}" is a range from a value to itself`);
      if (b.x < box.x - 0.5 || b.y < box.y - 0.5 || b.x + b.width > box.x + box.width + 0.5 ||
          b.y + b.height > box.y + box.height + 0.5) out.push(`${name}: "${text}" is cut off at the chart's edge`);
    }
    for (let i = 0; i < texts.length; ++i) {
      for (let j = i + 1; j < texts.length; ++j) {
        const [a, c] = [texts[i].b, texts[j].b];
        if (a.x < c.x + c.width && c.x < a.x + a.width && a.y < c.y + c.height && c.y < a.y + a.height)
          out.push(`${name}: "${texts[i].text}" and "${texts[j].text}" are written over each other`);
      }
    }
    return out;
  }));
}

// Rows of the tables set side by side that are taller than the tallest of
// their cells: a short table stretched to the height of its neighbour.
async function stretchedRows(page) {
  return page.$$eval('.two-columns table tbody tr', (rows) => rows.filter((tr) => {
    const tallest = Math.max(...[...tr.cells].map((cell) => {
      const content = document.createRange();
      content.selectNodeContents(cell);
      const style = getComputedStyle(cell);
      return content.getBoundingClientRect().height + parseFloat(style.paddingTop) +
        parseFloat(style.paddingBottom) + parseFloat(style.borderBottomWidth);
    }));
    return tr.getBoundingClientRect().height > tallest + 4;
  }).map((tr) => tr.cells[0].textContent));
}

test('every page loads without a console error, passes axe, and is photographed at both sizes', async () => {
  for (const size of SIZES) {
    for (const p of PAGES) {
      const page = await watchedPage(world.browser, {viewport: size});
      const user = p.user || 'aigerim';
      await signIn(page, world.url, user, PASSWORDS[user]);
      await page.goto(world.url + '/' + (typeof p.hash === 'function' ? p.hash() : p.hash));
      await ready(page, p.ready);
      await settled(page);
      await screenshot(page, 'dashboard-' + p.name);
      assert.deepEqual(page.problems, [], `${p.name} at ${size.width}x${size.height}`);
      assert.deepEqual(await accessibilityProblems(page), [], `axe on ${p.name}`);
      // Nothing wider than the window: usable on a 1024x600 office screen.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${p.name} is ${overflow}px wider than ${size.width}`);
      // Nor a table cut off inside its box, a column out of sight.
      const cut = await page.$$eval('.table-wrap', (boxes) => boxes.filter((b) => b.scrollWidth > b.clientWidth + 1)
          .map((b) => `${b.scrollWidth - b.clientWidth}px: ${b.querySelector('thead')?.innerText.replace(/\s+/g, ' ')}`));
      assert.deepEqual(cut, [], `${p.name} at ${size.width}x${size.height}`);
      // Every word a chart writes, whole and on its own: all the records here
      // are of one day, so the records per day are one column under a date.
      assert.deepEqual(await chartTextProblems(page), [], `${p.name} at ${size.width}x${size.height}`);
      assert.deepEqual(await stretchedRows(page), [], `rows taller than their text on ${p.name} at ${size.width}`);
      await page.context().close();
    }
  }
});

test('opening a laptop\'s revocation on a 1024x600 screen keeps the laptops table in view', async () => {
  const page = await watchedPage(world.browser, {viewport: SIZES[1]});
  await signIn(page, world.url, 'ada', PASSWORDS.ada);
  await page.goto(world.url + '/#/people');
  await ready(page, 'table.list');
  await settled(page);
  const open = await page.getByRole('button', {name: 'Revoke…'}).first().elementHandle();
  await open.click();
  await ready(page, 'input[id^="reason-"]:visible');
  assert.equal(await open.isVisible(), false, 'the button that opened the box is hidden');
  const cut = await page.$$eval('.table-wrap', (boxes) => boxes.map((b) => b.scrollWidth - b.clientWidth));
  assert.ok(cut.every((c) => c <= 1), cut.join(','));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// What an administrator hands a volunteer: the code, and where to type it
// with which address (the one this dashboard is open at).
test('an enrolment code says where the volunteer types it and with which server address', async () => {
  const page = await watchedPage(world.browser, {viewport: SIZES[1]});
  await signIn(page, world.url, 'ada', PASSWORDS.ada);
  await page.goto(world.url + '/#/people');
  await ready(page, '#code-volunteer');
  await page.locator('form:has(#code-volunteer) button[type=submit]').click();
  await ready(page, '#enrol-code');
  assert.match(await page.textContent('#enrol-code'), /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  const how = await page.textContent('#enrol-how');
  assert.ok(how.includes("Dala's Laptop page") && how.includes(`with this server's address, ${world.url} `), how);
  assert.ok(how.includes(`dala enroll ${world.url} CODE`), how);
  // Opened on the server itself, that address would send a laptop to itself.
  assert.match(await page.textContent('#enrol-loopback'), /works only on this computer/);
  await page.locator('#enrol-code').scrollIntoViewIfNeeded();
  await screenshot(page, 'people-enrolment-code');
  assert.deepEqual(page.problems, []);
  await page.context().close();

  // Opened by a name on the network, the address is the one to give.
  const office = world.url.replace('127.0.0.1', OFFICE_HOST);
  const away = await watchedPage(world.browser, {viewport: SIZES[1]});
  await signIn(away, office, 'ada', PASSWORDS.ada);
  await away.goto(office + '/#/people');
  await ready(away, '#code-volunteer');
  await away.locator('form:has(#code-volunteer) button[type=submit]').click();
  await ready(away, '#enrol-code');
  assert.ok((await away.textContent('#enrol-how')).includes(`dala enroll ${office} CODE`));
  assert.equal(await away.locator('#enrol-loopback').count(), 0);
  // Plain http by a name is not a trustworthy origin, so Chromium says it
  // ignores the server's Cross-Origin-Opener-Policy (an office server is
  // https; this test has no certificate). Nothing else may go wrong.
  assert.deepEqual(away.problems.filter((p) => !p.includes('Cross-Origin-Opener-Policy header has been ignored')), []);
  await away.context().close();
});

test('the export links of a form download what the list shows: XLSX, CSV with a BOM for Excel, JSON', async () => {
  const page = await watchedPage(world.browser);
  await signIn(page, world.url, 'aigerim', PASSWORDS.aigerim);
  await page.goto(world.url + '/#/submissions?form=psc_observation&region=ala');
  await page.waitForSelector('.export a');
  const links = await page.$$eval('.export a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  assert.deepEqual(links.map(([name]) => name), ['XLSX', 'CSV', 'JSON']);
  for (const [name, href] of links) assert.ok(href.includes('form=psc_observation') && href.includes('region=ala'), name);
  const got = await page.evaluate(async (href) => {
    const r = await fetch(href);
    return [r.status, Array.from(new Uint8Array(await r.arrayBuffer()).slice(0, 3))];
  }, links[0][1]);
  assert.deepEqual(got, [200, [0x50, 0x4b, 0x03]], 'the XLSX is a zip');
  const csv = await page.evaluate(async (href) => Array.from(new Uint8Array(await (await fetch(href)).arrayBuffer()).slice(0, 3)), links[1][1]);
  assert.deepEqual(csv, [0xef, 0xbb, 0xbf]);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('filters narrow the table, and the address alone reproduces them', async () => {
  const page = await watchedPage(world.browser);
  await signIn(page, world.url, 'aigerim', PASSWORDS.aigerim);
  await page.goto(world.url + '/#/submissions');
  await page.waitForSelector('table.list');
  const all = await page.locator('table.list tbody tr').count();
  await page.selectOption('#f-region', 'ala');
  await page.waitForFunction(() => location.hash.includes('region=ala'));
  await page.waitForSelector('table.list');
  await settled(page);
  const centres = await page.locator('table.list tbody td:nth-child(5)').allTextContents();
  assert.ok(centres.length > 0 && centres.length < all, `${centres.length} of ${all}`);
  assert.ok(centres.every((c) => /Almal|Bostand/.test(c)), centres.join('; '));
  const address = page.url();
  const again = await watchedPage(world.browser);
  await signIn(again, world.url, 'aigerim', PASSWORDS.aigerim);
  await again.goto(address);
  await again.waitForSelector('table.list');
  await settled(again);
  assert.deepEqual(await again.locator('table.list tbody td:nth-child(5)').allTextContents(), centres);
  assert.equal(await again.inputValue('#f-region'), 'ala');
  await page.context().close();
  await again.context().close();
});

test('a conflict is resolved by clicking the value to keep', async () => {
  const page = await watchedPage(world.browser);
  await signIn(page, world.url, 'aigerim', PASSWORDS.aigerim);
  await page.goto(world.url + `/#/submission/${ids.conflict}`);
  await page.waitForSelector('.conflict-box');
  const candidates = await page.locator('.conflict-box .candidate .value').allTextContents();
  assert.ok(candidates.includes('20') && candidates.includes('18'), candidates.join(','));
  // Who set each: the laptop, and the server attesting the coordinator's correction.
  const setBy = await page.locator('.conflict-box .candidate .hint').allTextContents();
  assert.ok(setBy.includes('set by dina (dina-laptop)') && setBy.includes('attested by the server for aigerim'),
      setBy.join(' | '));
  await page.locator('.conflict-box .candidate', {hasText: '18'}).getByRole('button').click();
  await page.fill('#resolve-note', 'the volunteer measured it again');
  await page.getByRole('button', {name: 'Resolve'}).click();
  await page.waitForSelector('.notice.ok');
  await page.waitForFunction(() => !document.querySelector('.conflict-box'));
  const shown = await page.textContent('dd[data-field="waiting_minutes"]');
  assert.equal(shown.trim(), '18');
  const after = await apiAs('aigerim', 'GET', `/submissions/${ids.conflict}`);
  assert.equal(after.body.conflicts.length, 0);
  assert.equal(after.body.answers.waiting_minutes, 18);
  await page.context().close();
});

test('sent back with a comment, fixed on the laptop, and the fix shows in the dashboard', async () => {
  const page = await watchedPage(world.browser);
  await signIn(page, world.url, 'aigerim', PASSWORDS.aigerim);
  await page.goto(world.url + `/#/submission/${ids.sendBack}`);
  await page.waitForSelector('#has-issues');
  await page.click('#has-issues');
  assert.match(await page.textContent('#review-need'), /fix/i, 'a comment is required');
  await page.fill('#review-comment', 'Please recount the queue: 3 seems low for Monday morning.');
  await page.click('#has-issues');
  await page.waitForSelector('.notice.ok');
  // The volunteer's laptop learns of it at its next sync, and fixes it.
  world.dala('askar', ['sync']);
  const shown = world.dala('askar', ['show', ids.sendBack.slice(-8)]);
  assert.match(shown, /recount the queue/);
  world.dala('askar', ['edit', ids.sendBack.slice(-8), '--set', 'queue_length=14']);
  world.dala('askar', ['sync']);
  await page.reload();
  await page.waitForSelector('.panel .notice.warn');
  assert.equal((await page.textContent('dd[data-field="queue_length"]')).trim(), '14');
  await page.goto(world.url + '/#/submissions?changed=1');
  await page.waitForSelector('table.list');
  assert.ok(await page.locator(`a[href="#/submission?id=${ids.sendBack}"], a[href*="${ids.sendBack}"]`).count() > 0);
  await page.context().close();
});

test('several records are approved at once, each its own signed decision', async () => {
  const page = await watchedPage(world.browser);
  await signIn(page, world.url, 'aigerim', PASSWORDS.aigerim);
  await page.goto(world.url + '/#/submissions?state=received&volunteer=dina');
  await page.waitForSelector('table.list');
  const boxes = page.locator('table.list tbody input[type=checkbox]');
  const chosen = [];
  for (let i = 0; i < 3; ++i) {
    await boxes.nth(i).check();
    chosen.push(await boxes.nth(i).getAttribute('value'));
  }
  await page.getByRole('button', {name: /Approve 3 selected/}).click();
  await page.waitForSelector('.notice.ok');
  for (const id of chosen) {
    const s = await apiAs('aigerim', 'GET', `/submissions/${id}`);
    assert.equal(s.body.review_state, 'approved', id);
    const history = await apiAs('aigerim', 'GET', `/submissions/${id}/history`);
    assert.equal(history.body.entries.filter((e) => e.event && e.event.type === 'review').length, 1, id);
  }
  await page.context().close();
});

test('a duplicate is merged into the other record', async () => {
  const page = await watchedPage(world.browser);
  await signIn(page, world.url, 'aigerim', PASSWORDS.aigerim);
  await page.goto(world.url + '/#/duplicates');
  await page.waitForSelector('table.pair tr.differs');
  // Each pair is headed by its centre and day, the day written as the table under it writes dates.
  const headings = await page.$$eval('section.panel h2', (hs) => hs.map((x) => x.textContent));
  assert.ok(headings.length > 0);
  for (const heading of headings) assert.match(heading, /· \d{1,2} \p{L}+ \d{4}$/u, heading);
  const pair = page.locator('section.panel', {hasText: 'Yesil'}).first();
  await pair.getByRole('button', {name: `Merge ${ids.dup2.slice(-8)} into ${ids.dup1.slice(-8)}`}).click();
  await page.waitForSelector('.notice.ok');
  const merged = await apiAs('aigerim', 'GET', `/submissions/${ids.dup2}`);
  assert.equal(merged.body.merged_into, ids.dup1);
  await page.context().close();
});

test('an auditor sees every page but no control, and their changes are refused', async () => {
  const page = await watchedPage(world.browser);
  await signIn(page, world.url, 'dana', PASSWORDS.dana);
  await page.goto(world.url + `/#/submission/${ids.hostile}`);
  await page.waitForSelector('dl.answers');
  await settled(page);
  for (const control of ['#approve', '#has-issues', '#reject'])
    assert.equal(await page.locator(control).count(), 0, control);
  assert.equal(await page.getByRole('button', {name: /Correct answers/}).count(), 0);
  await page.goto(world.url + '/#/submissions');
  await page.waitForSelector('table.list');
  assert.equal(await page.locator('table.list input[type=checkbox]').count(), 0);
  // The server refuses what the page does not offer.
  const refused = await page.evaluate(async (id) => {
    const me = await (await fetch('/api/v1/me')).json();
    const res = await fetch(`/api/v1/submissions/${id}/review`, {method: 'POST', headers: {'Content-Type':
      'application/json', 'X-CSRF-Token': me.csrf_token}, body: JSON.stringify({state: 'approved'})});
    return [res.status, (await res.json()).error.code];
  }, ids.hostile);
  assert.deepEqual(refused, [403, 'read_only_role']);
  await page.context().close();
});

test('the review flow works from the keyboard alone', async () => {
  const page = await watchedPage(world.browser);
  await signIn(page, world.url, 'aigerim', PASSWORDS.aigerim);
  await page.goto(world.url + '/#/submissions?state=received&volunteer=ermek');
  await page.waitForSelector('table.list');
  // Tab to the first record's link and open it with Enter.
  const first = await page.locator('table.list tbody a').first().getAttribute('href');
  for (let i = 0; i < 80; ++i) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((href) => document.activeElement?.getAttribute('href') === href, first)) break;
  }
  await page.keyboard.press('Enter');
  await page.waitForSelector('#approve');
  for (let i = 0; i < 80; ++i) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.id === 'approve')) break;
  }
  await page.keyboard.press('Enter');
  await page.waitForSelector('.notice.ok');
  const id = decodeURIComponent(first.match(/id=([0-9a-f-]+)/)[1]);
  assert.equal((await apiAs('aigerim', 'GET', `/submissions/${id}`)).body.review_state, 'approved');
  await page.context().close();
});

test('hostile text in answers, comments and laptop names stays text', async () => {
  // A comment and a laptop label with markup in them.
  await apiAs('aigerim', 'POST', `/submissions/${ids.hostile}/review`, {state: 'has_issues', comment: HOSTILE});
  for (const user of ['aigerim', 'ada']) {
    const page = await watchedPage(world.browser);
    await signIn(page, world.url, user, PASSWORDS[user]);
    for (const hash of [`#/submission/${ids.hostile}`, '#/submissions?q=' + ids.hostile.slice(-8), '#/people']) {
      if (hash === '#/people' && user !== 'ada') continue;
      await page.goto(world.url + '/' + hash);
      await settled(page);
      await page.waitForTimeout(200);
    }
    assert.deepEqual(page.dialogs, [], 'a dialog opened: markup ran');
    assert.equal(await page.locator('main img[src="x"], main script').count(), 0);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  }
  const page = await watchedPage(world.browser);
  await signIn(page, world.url, 'aigerim', PASSWORDS.aigerim);
  await page.goto(world.url + `/#/submission/${ids.hostile}`);
  await page.waitForSelector('dl.answers');
  await settled(page);
  const fields = await page.$$eval('dd[data-field]', (els) => els.map((e) => e.dataset.field));
  assert.ok(fields.includes('notes'), fields.join(' '));
  assert.equal((await page.textContent('dd[data-field="notes"]')).trim(), HOSTILE);
  await page.context().close();
});

test('a form on another site cannot make a decision, even with the session cookie', async () => {
  const victim = ids.dup1;
  const before = (await apiAs('aigerim', 'GET', `/submissions/${victim}`)).body.review_state;
  const evil = http.createServer((req, res) => {
    res.writeHead(200, {'Content-Type': 'text/html'});
    res.end(`<form id=f method=post action="${world.url}/api/v1/submissions/${victim}/review"
      enctype="text/plain"><input name='{"state":"rejected","x":"' value='"}'></form>
      <script>document.getElementById('f').submit()</script>`);
  });
  await new Promise((r) => evil.listen(0, '127.0.0.1', r));
  const page = await watchedPage(world.browser);
  await signIn(page, world.url, 'aigerim', PASSWORDS.aigerim);
  const answer = page.waitForResponse((r) => r.url().includes('/review'));
  await page.goto(`http://127.0.0.1:${evil.address().port}/`);
  const res = await answer;
  assert.equal(res.status(), 403);
  assert.equal((await res.json()).error.code, 'cross_origin');
  assert.equal((await apiAs('aigerim', 'GET', `/submissions/${victim}`)).body.review_state, before);
  evil.close();
  await page.context().close();
});

test('switching the language leaves no string untranslated, and is remembered', async () => {
  const page = await watchedPage(world.browser);
  await signIn(page, world.url, 'aigerim', PASSWORDS.aigerim);
  for (const lang of ['kk', 'ru', 'en']) {
    await page.selectOption('#language', lang);
    await page.waitForFunction((l) => document.documentElement.lang === l, lang);
    for (const p of PAGES.filter((x) => !x.user)) {
      await page.goto(world.url + '/' + (typeof p.hash === 'function' ? p.hash() : p.hash));
      await page.waitForSelector(p.ready);
      await settled(page);
      const text = await page.evaluate(() => document.body.innerText);
      assert.ok(!text.includes('⟦'), `${lang} ${p.name}: ${text.match(/⟦[^⟧]*⟧/g)}`);
      if (lang === 'kk') await screenshot(page, 'dashboard-kk-' + p.name);
    }
  }
  // The page shows the language first and then tells the server: close
  // it only once the server has the choice.
  const saved = page.waitForResponse((r) => r.url().endsWith('/api/v1/me/language'));
  await page.selectOption('#language', 'kk');
  assert.equal((await saved).status(), 200);
  await page.waitForFunction(() => document.documentElement.lang === 'kk');
  await page.context().close();
  // Another browser, the same person: Kazakh again.
  const other = await watchedPage(world.browser, {locale: 'en-GB'});
  await signIn(other, world.url, 'aigerim', PASSWORDS.aigerim);
  await other.waitForFunction(() => document.documentElement.lang === 'kk');
  assert.equal(await other.textContent('a[aria-current="page"]'), 'Шолу');
  await other.context().close();
});

test('a calculated answer shows under its label, and an attested decision says so, in each language', async () => {
  const page = await watchedPage(world.browser);
  await signIn(page, world.url, 'aigerim', PASSWORDS.aigerim);
  const expected = {
    en: ['District of the centre', 'attested by the server for aigerim'],
    ru: ['Район центра', 'заверено сервером от имени aigerim'],
    kk: ['Орталықтың ауданы', 'aigerim атынан сервер куәландырған'],
  };
  for (const [lang, [label, attested]] of Object.entries(expected)) {
    await page.selectOption('#language', lang);
    await page.waitForFunction((l) => document.documentElement.lang === l, lang);
    await page.goto(world.url + `/#/submission/${ids.conflict}`);
    await ready(page, 'dl.answers');
    await settled(page);
    // The language switch re-renders the page already shown, so the old
    // list can satisfy ready() while the new one is being drawn: wait for
    // the answer in the new language (the assertion below still decides).
    await page.waitForFunction((l) => {
      const dd = document.querySelector('dd[data-field="centre_district"]');
      return dd !== null && dd.previousElementSibling.textContent === l;
    }, label).catch(() => {});
    const shown = await page.$eval('dd[data-field="centre_district"]', (dd) =>
      [dd.previousElementSibling.textContent, dd.textContent.trim()]);
    assert.deepEqual(shown, [label, 'Bostandyk'], lang);
    assert.ok((await page.textContent('ol.history')).includes(attested), `${lang}: ${await page.textContent('ol.history')}`);
  }
  await page.context().close();
});

// The sample exit survey's document under a new version, written in `dir`:
// what an NGO publishes when it changes a form.
async function newVersionOfExitSurvey(dir) {
  const doc = JSON.parse(fs.readFileSync(path.join(SOURCE, 'schema/forms/citizen_exit_survey.json'), 'utf8'));
  doc.version = '2099.1.1';
  const file = path.join(dir, 'citizen_exit_survey.json');
  fs.writeFileSync(file, JSON.stringify(doc));
  return file;
}

// Last in this file: it publishes and retires a version of a form the
// other tests read.
// An administrator publishes the NGO's XLSForm from the browser: a
// spreadsheet Dala cannot take is refused row by row and publishes
// nothing; the sample survey's spreadsheet under a new version is
// published, listed, and retired again; a coordinator sees the list only.
test('an XLSForm is published from the Forms page, or refused row by row, and a version is retired', async () => {
  const page = await watchedPage(world.browser, {viewport: SIZES[1]});
  await signIn(page, world.url, 'ada', PASSWORDS.ada);
  await page.goto(world.url + '/#/forms');
  await ready(page, 'table#forms');
  const rows = async () => page.$$eval('table#forms tbody tr', (trs) => trs.map((tr) => tr.dataset.hash));
  const before = await rows();
  assert.equal(await page.inputValue('#form-project'), 'ngo2026', 'the project of the newest form');

  await page.setInputFiles('#form-file', path.join(SOURCE, 'tests/vectors/xlsforms/flat_xlsform_test.xlsx'));
  await page.click('#publish-form button[type=submit]');
  await ready(page, '#publish-form .notice.error li');
  const problems = await page.$$eval('#publish-form .notice.error li', (lis) => lis.map((li) => li.textContent));
  assert.ok(problems.some((l) => /^survey row \d+, column 'type': Dala cannot take 'barcode'/.test(l)), problems.join('\n'));
  assert.deepEqual(await rows(), before, 'nothing was published');
  await screenshot(page, 'forms-refused');

  // The sample survey as the NGO would change it: its spreadsheet with a new version.
  const xlsx = fs.mkdtempSync(path.join(os.tmpdir(), 'dala-xlsform-'));
  const changed = path.join(xlsx, 'citizen_exit_survey.xlsx');
  execFileSync(DALA, ['form', 'convert', await newVersionOfExitSurvey(xlsx), '--output', changed]);
  await page.setInputFiles('#form-file', changed);
  await page.click('#publish-form button[type=submit]');
  await ready(page, '#status .notice.ok');
  assert.match(await page.textContent('#status'), /^Published citizen_exit_survey, version 2099\.1\.1: laptops receive it at their next sync\.$/);
  await ready(page, 'table#forms tbody tr:nth-child(' + (before.length + 1) + ')');
  const newest = await page.$eval('table#forms tbody tr', (tr) => tr.textContent);
  assert.ok(newest.includes('2099.1.1') && newest.includes('In use'), newest);
  // Its XLSForm, to edit for the next version, downloads under its id and version.
  const [xlsform] = await Promise.all([page.waitForEvent('download'),
    page.click('table#forms tbody tr:first-child a.xlsform')]);
  assert.equal(xlsform.suggestedFilename(), 'citizen_exit_survey-2099.1.1.xlsx');
  assert.equal(fs.readFileSync(await xlsform.path()).subarray(0, 4).toString('latin1'), 'PK\x03\x04');
  await screenshot(page, 'forms-published');

  await page.click('table#forms tbody tr:first-child button.danger');
  await page.click('table#forms tbody tr:first-child button.danger.primary');
  await ready(page, 'table#forms tbody tr.revoked');
  assert.match(await page.$eval('table#forms tbody tr:first-child', (tr) => tr.textContent), /Retired .* by ada/);
  // Chromium logs the one refusal the test asked for; nothing else.
  assert.deepEqual(page.problems, ['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  await page.context().close();

  const coordinator = await watchedPage(world.browser, {viewport: SIZES[0]});
  await signIn(coordinator, world.url, 'aigerim', PASSWORDS.aigerim);
  await coordinator.goto(world.url + '/#/forms');
  await ready(coordinator, 'table#forms');
  assert.equal(await coordinator.$('#publish-form'), null);
  assert.equal(await coordinator.$('table#forms button'), null);
  assert.deepEqual(coordinator.problems, []);
  await coordinator.context().close();
});
