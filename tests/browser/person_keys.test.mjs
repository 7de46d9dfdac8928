// Coordinators sign their own decisions in the browser (sync/README.md,
// "Decisions"): a coordinator enrols a WebCrypto key with an admin's code,
// then corrects, resolves and reviews; the exported bundle's auditor, in
// C++, verifies each of those envelopes, made in Chromium, under her key.
// A session without the key reads but cannot decide.

import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';

import {SIZES, accessibilityProblems, ready, screenshot, settled, signIn, watchedPage} from './browser.mjs';
import {DALA, PASSWORDS, World, observation} from './world.mjs';

const ids = {};
let aigerimKey = '';

const world = new World().shareWithTests(async () => {
  world.volunteer('askar');
  world.volunteer('dina');
  ids.correct = world.collect('askar', 'psc_observation', observation('ala_01', {queue_length: 3}));
  ids.review = world.collect('askar', 'psc_observation', observation('ast_02'));
  ids.conflict = world.collect('dina', 'psc_observation', observation('ala_02', {waiting_minutes: 15}));
  world.dala('askar', ['sync']);
  world.dala('dina', ['sync']);
  // The admin, who has no key, corrects the conflict record through the
  // server (attested) while Dina changes the same answer offline.
  await world.conflict(ids.conflict, {editor: 'ada', volunteer: 'dina', field: 'waiting_minutes', value: 20, own: 18,
    note: 'photo'});
});

// Signs in and lets the overview finish drawing: a page still loading
// would replace the next one drawn over it.
async function signInAs(page, user) {
  await signIn(page, world.url, user, PASSWORDS[user]);
  await ready(page, 'ul.needs');
  await settled(page);
}

test('a coordinator enrols a key made in the browser with the code an admin issued', async () => {
  const ada = await world.session('ada');
  const code = await ada('POST', '/person-key-codes', {person: 'aigerim'});
  assert.equal(code.status, 201, JSON.stringify(code.body));
  const page = await watchedPage(world.browser);
  await signInAs(page, 'aigerim');
  await page.goto(world.url + '/#/key');
  await ready(page, '#key-enrol');
  assert.match(await page.textContent('#key-status'), /server signs your decisions/);
  // A zero where the code's alphabet has none: refused before any key is made.
  await page.fill('#key-code', 'K7MX-Q4TR-P2N0');
  await page.click('#key-enrol button[type=submit]');
  await ready(page, '#key-enrol .notice.error');
  assert.match(await page.textContent('#key-enrol .notice.error'), /not a one-time code/);
  await page.fill('#key-code', code.body.code.toLowerCase().replace(/-/g, ' '));
  await page.fill('#key-label', 'Chromium in the office');
  await page.click('#key-enrol button[type=submit]');
  await ready(page, '#key-status.ok');
  await ready(page, '#my-keys');
  const keys = await (await world.session('aigerim'))('GET', '/me/keys');
  assert.equal(keys.body.keys.length, 1);
  assert.equal(keys.body.keys[0].label, 'Chromium in the office');
  aigerimKey = keys.body.keys[0].key;
  assert.match(await page.textContent('#key-status'), new RegExp(keys.body.keys[0].fingerprint));
  assert.deepEqual(page.problems, []);
  // The key cannot be read out of the browser, by the page or anyone.
  const extractable = await page.evaluate(() => new Promise((resolve) => {
    const open = indexedDB.open('dala', 1);
    open.onsuccess = () => {
      const get = open.result.transaction('keys').objectStore('keys').getAll();
      get.onsuccess = () => resolve(get.result.map((k) => k.privateKey.extractable));
    };
  }));
  assert.deepEqual(extractable, [false]);
  await page.context().close();
});

test('the Signing key page passes axe and fits the window at both sizes', async () => {
  for (const size of SIZES) {
    // Another profile than the one holding her key: the page offers to
    // enrol one here, and lists the key she has.
    const page = await watchedPage(world.browser, {viewport: size});
    await signInAs(page, 'aigerim');
    await page.goto(world.url + '/#/key');
    await ready(page, '#my-keys');
    await ready(page, '#key-enrol');
    await settled(page);
    await screenshot(page, 'key');
    assert.deepEqual(await page.$$eval('#my-keys thead th', (ths) => ths.map((th) => th.textContent)),
        ['Fingerprint', 'Where', 'Enrolled', 'Status']);
    assert.deepEqual(page.problems, [], `${size.width}x${size.height}`);
    assert.deepEqual(await accessibilityProblems(page), []);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than ${size.width}`);
    await page.context().close();
  }
});

// One browser context for the rest, so the key made in it stays.
let keyed;

test('in one browser profile: enrol, then correct, resolve and review', async () => {
  const ada = await world.session('ada');
  // Revoke the key of the first context (its profile is gone) and enrol anew:
  // a lost profile means a new key, as for a lost laptop.
  assert.equal((await ada('POST', `/person-keys/${aigerimKey}/revoke`, {reason: 'profile closed'})).status, 200);
  const code = await ada('POST', '/person-key-codes', {person: 'aigerim'});
  const context = await world.browser.newContext({viewport: {width: 1366, height: 768}, locale: 'en-GB'});
  keyed = await context.newPage();
  keyed.problems = [];
  keyed.on('pageerror', (e) => keyed.problems.push(String(e)));
  await signInAs(keyed, 'aigerim');
  await keyed.goto(world.url + '/#/key');
  await ready(keyed, '#key-status.warn');  // no key here; the one of the closed profile is revoked
  await keyed.fill('#key-code', code.body.code);
  await keyed.click('#key-enrol button[type=submit]');
  await ready(keyed, '#key-status.ok');
  await ready(keyed, '#my-keys tr.revoked');
  await settled(keyed);
  await screenshot(keyed, 'key-enrolled');
  const keys = (await (await world.session('aigerim'))('GET', '/me/keys')).body.keys;
  aigerimKey = keys.find((k) => !k.revoked_ms).key;

  // A correction.
  await keyed.goto(world.url + `/#/submission/${ids.correct}`);
  await ready(keyed, 'dl.answers');
  await keyed.getByRole('button', {name: 'Correct answers'}).click();
  await keyed.fill('#edit-queue_length', '17');
  await keyed.fill('#edit-note', 'counted again from the photo');
  await keyed.getByRole('button', {name: 'Save the correction'}).click();
  await ready(keyed, '.notice.ok');
  // A resolution.
  await keyed.goto(world.url + `/#/submission/${ids.conflict}`);
  await ready(keyed, '.conflict-box');
  await keyed.locator('.conflict-box .candidate', {hasText: '18'}).getByRole('button').click();
  await keyed.fill('#resolve-note', 'the volunteer measured it again');
  await keyed.getByRole('button', {name: 'Resolve'}).click();
  await keyed.waitForFunction(() => !document.querySelector('.conflict-box'));
  // A review.
  await keyed.goto(world.url + `/#/submission/${ids.review}`);
  await ready(keyed, '#approve');
  await keyed.click('#approve');
  await ready(keyed, '.notice.ok');
  assert.deepEqual(keyed.problems, []);

  const aigerim = await world.session('aigerim');
  assert.equal((await aigerim('GET', `/submissions/${ids.correct}`)).body.answers.queue_length, 17);
  assert.equal((await aigerim('GET', `/submissions/${ids.conflict}`)).body.answers.waiting_minutes, 18);
  assert.equal((await aigerim('GET', `/submissions/${ids.review}`)).body.review_state, 'approved');
  const history = await aigerim('GET', `/submissions/${ids.correct}/history`);
  assert.ok(history.body.entries.some((e) => e.who === 'signed by aigerim' && e.verified), JSON.stringify(history.body));
});

test('each of her decisions in the bundle verifies in C++ under her key, and the auditor says so', async () => {
  const ada = await world.session('ada');
  const bundle = await ada('GET', '/export/bundle');
  assert.equal(bundle.status, 200);
  const file = path.join(world.dir, 'audit.bundle');
  fs.writeFileSync(file, bundle.body);
  const server = (await ada('GET', '/server')).body.public_key;
  const strict = spawnSync(DALA, ['audit', 'verify', file, '--server-key', server, '--json', '--strict-after',
    '2000-01-01'], {encoding: 'utf8'});
  assert.equal(strict.status, 1, strict.stderr);
  const report = JSON.parse(strict.stdout);
  const hers = report.decisions.filter((d) => d.by === 'aigerim');
  assert.equal(hers.length, 3, JSON.stringify(report.decisions));
  for (const d of hers) {
    assert.equal(d.signed_by, 'person');
    assert.equal(d.signer, aigerimKey);
  }
  assert.deepEqual(hers.map((d) => d.what).sort(), ['correction', 'correction', 'review']);
  assert.equal(report.ok, false, 'the admin\'s attested correction fails --strict-after');
  assert.deepEqual(report.problems.map((p) => p.code), ['decision.attested_only']);
  // Without --strict-after, the same bundle verifies: attested decisions
  // are reported, not failed.
  const plain = spawnSync(DALA, ['audit', 'verify', file, '--server-key', server], {encoding: 'utf8'});
  assert.equal(plain.status, 0, plain.stdout + plain.stderr);
  assert.match(plain.stdout, /aigerim\s+3\s+0/);
});

test('a stolen session cookie without the key reads but cannot decide', async () => {
  const thief = await world.session('aigerim');
  assert.equal((await thief('GET', `/submissions/${ids.review}`)).status, 200);
  const attested = await thief('POST', `/submissions/${ids.review}/review`, {state: 'rejected', comment: 'forged'});
  assert.equal(attested.status, 403);
  assert.equal(attested.body.error.code, 'decision_must_be_signed');
  // Signed by the thief's own key: the server knows it for nobody.
  const {publicKey} = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({format: 'der', type: 'spki'}).subarray(-32).toString('hex');
  const draft = await thief('POST', '/decisions/draft', {key: raw, action: 'review', submission: ids.review,
    state: 'rejected', comment: 'forged'});
  assert.equal(draft.status, 403);
  assert.equal(draft.body.error.code, 'unknown_person_key');
  // A browser without the key (another profile) says how to enrol.
  const page = await watchedPage(world.browser);
  await signInAs(page, 'aigerim');
  await page.goto(world.url + `/#/submission/${ids.correct}`);
  await ready(page, '#approve');
  await page.click('#approve');
  await page.waitForSelector('.panel .notice.error');
  assert.match(await page.textContent('.panel .notice.error'), /Signing key/);
  assert.equal((await thief('GET', `/submissions/${ids.correct}`)).body.review_state, 'received');
  await page.goto(world.url + '/#/key');
  await ready(page, '#key-status.warn');
  await settled(page);
  await page.context().close();
});

test('revoking her key takes effect at once: the page can no longer decide', async () => {
  const ada = await world.session('ada');
  assert.equal((await ada('POST', `/person-keys/${aigerimKey}/revoke`, {reason: 'laptop stolen'})).status, 200);
  await keyed.goto(world.url + `/#/submission/${ids.correct}`);
  await ready(keyed, '#approve');
  await keyed.click('#approve');
  await keyed.waitForSelector('.panel .notice.error');
  const aigerim = await world.session('aigerim');
  assert.equal((await aigerim('GET', `/submissions/${ids.correct}`)).body.review_state, 'received');
  await keyed.goto(world.url + '/#/key');
  await ready(keyed, '#key-status.error');
  await keyed.context().close();
});
