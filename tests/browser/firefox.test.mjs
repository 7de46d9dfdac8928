// `dala ui` in Debian's Firefox ESR (issue 12: "works in Chromium and
// Firefox ESR"): the page's modules, fetches, cookie and CSP as Firefox
// applies them, through a whole psc_observation from the token in the
// address to the signed record. The full behaviour of each screen is
// tested in Chromium (volunteer.test.mjs); this file proves the same page
// runs in the other engine volunteers' laptops have.

import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, test} from 'node:test';
import {fileURLToPath} from 'node:url';

import {DalaUi} from './dala_ui.mjs';
import {PSC, answerFromWaitingToCleanliness} from './psc_steps.mjs';
import {Firefox} from './firefox.mjs';
import {DALA} from './world.mjs';

const FORMS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema/forms');
const PASSPHRASE = 'firefox-page-passphrase';
const ALMATY = '<+05>-5';
const today = () => new Date(Date.now() + 5 * 3600_000).toISOString().slice(0, 10);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dala-ui-firefox-'));
const env = {...process.env, TZ: ALMATY, DALA_HOME: path.join(dir, 'profile'), DALA_PASSPHRASE: PASSPHRASE};
const dala = (args) => execFileSync(DALA, args, {env, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000});
const ui = new DalaUi(env);
let fox;
let url;

before(async () => {
  dala(['init', '--lang', 'en']);
  dala(['forms', 'add', path.join(FORMS, 'psc_observation.json')]);
  url = await ui.start(['--lang', 'en']);
  fox = await Firefox.launch();
  await fox.setViewport(1024, 600);
});

after(async () => {
  if (fox) await fox.close();
  await ui.stop('SIGTERM');
  fs.rmSync(dir, {recursive: true, force: true});
});

// The page's own controls, used as a volunteer's clicks would use them.
const at = (name) => fox.waitFor(`[data-question="${name}"]`);
async function typeAnswer(name, value) {
  await at(name);
  await fox.run((v) => { document.querySelector('#answer').value = v; document.querySelector('#next').click(); }, String(value));
}
async function choose(name, ...values) {
  await at(name);
  await fox.run((vs) => {
    for (const v of vs) document.querySelector(`input[name=answer][value="${v}"]`).click();
    document.querySelector('#next').click();
  }, values);
}
const click = (selector) => fox.run((s) => document.querySelector(s).click(), selector);

test('Firefox ESR: the token becomes a session and the key unlocks', async () => {
  await fox.goto(url);
  await fox.waitFor('form.unlock');
  assert.doesNotMatch(await fox.run(() => location.href), /token/, 'the token leaves the address bar');
  await fox.screenshot('volunteer-firefox-home-locked-1024x600');
  await fox.run((p) => {
    document.querySelector('#passphrase').value = p;
    document.querySelector('form.unlock').requestSubmit();
  }, PASSPHRASE);
  await fox.waitFor('button[data-form=psc_observation]');
  for (let i = 0; i < 100 && await fox.run(() => document.querySelector('form.unlock') !== null); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await fox.run(() => document.querySelector('form.unlock') !== null), false, 'unlocked');
});

test('Firefox ESR: psc_observation from first question to the signed record', async () => {
  await click('button[data-form=psc_observation]');
  await choose('region', 'ast');
  await at('centre');
  const offered = await fox.run(() => Array.from(document.querySelectorAll('input[name=answer]'), (x) => x.value));
  const astana = PSC.lists.centres.filter((c) => c.region === 'ast').map((c) => c.name);
  assert.deepEqual(offered, astana, 'the choice filter, as the engine applied it');
  await choose('centre', astana[0]);
  await typeAnswer('visit_date', today());
  await typeAnswer('arrival_time', '10:15');
  await typeAnswer('queue_length', '900');
  const refused = await fox.waitFor('#error');
  assert.equal(refused, PSC.questions.find((q) => q.name === 'queue_length').constraint_message.en);
  await fox.screenshot('volunteer-firefox-fill-error-1024x600');
  await typeAnswer('queue_length', '15');
  await answerFromWaitingToCleanliness({typeAnswer, choose});
  await fox.waitFor('[data-question="add:issues"]');
  await click('#yes');
  await choose('category.1', PSC.lists.issue_categories[0].name);
  await typeAnswer('description.1', 'Экран очереди не работал');
  await fox.waitFor('[data-question="add:issues"]');
  await click('#no');
  await typeAnswer('notes', '');
  const summary = await fox.waitFor('table.summary');
  assert.match(summary, /Экран очереди не работал/);
  await fox.waitFor('#sign');
  await fox.screenshot('volunteer-firefox-summary-1024x600');
  await click('#sign');
  await fox.waitFor('.ok');
  const records = JSON.parse(dala(['list', '--json']));
  assert.equal(records.length, 1);
  assert.equal(records[0].answers.queue_length, 15);
  assert.equal(records[0].answers.centre, astana[0]);
  assert.equal(records[0].answers.issues[0].description, 'Экран очереди не работал');
  assert.deepEqual(fox.problems, [], 'no page error, console error or CSP refusal in Firefox');
});
