// A small real Dala world for the browser tests: a dala-server on a random
// loopback port with its users and both sample forms, and volunteers'
// laptops (real `dala` profiles) that collected records and synced, so the
// pages show what a coordinator really sees: records over two weeks, a
// conflict, a possible duplicate, a record sent back.
//
// Binaries come from DALA_BUILD (default build/test, what scripts/test
// builds). Everything lives in a temporary directory removed by stop().
// A test file shares one world and one browser (shareWithTests).

import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before} from 'node:test';
import {fileURLToPath} from 'node:url';

import {launch} from './browser.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = process.env.DALA_BUILD ? path.resolve(process.env.DALA_BUILD) : path.join(ROOT, 'build/test');
export const DALA = path.join(BUILD, 'client/dala');
export const SERVER = path.join(BUILD, 'server/dala-server');
const BENCH_GEN = path.join(BUILD, 'tests/bench/bench_gen');
const FORMS = path.join(ROOT, 'schema/forms');

export const PASSWORDS = {ada: 'admin-browser-pw', aigerim: 'coordinator-browser-pw', dana: 'auditor-browser-pw'};

// Every program here, laptops and server, runs in Almaty's time (UTC+5, as
// a POSIX rule, so no tzdata is needed), as they do there: on the
// machine's own zone they would call today() "the future" in the hours
// around midnight.
const ALMATY = '<+05>-5';

function run(file, args, env = {}, input) {
  return execFileSync(file, args, {env: {...process.env, TZ: ALMATY, ...env}, input, encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'], timeout: 240_000});
}

export class World {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dala-browser-'));
    this.data = path.join(this.dir, 'server');
    this.server = null;
    this.url = '';
    this.browser = null;
  }

  // Runs this world for the tests of one file: started before the first
  // (then `fill` adds laptops and records, and Chromium is launched as
  // this.browser), taken down after the last.
  shareWithTests(fill) {
    before(async () => {
      await this.start();
      await fill(this);
      this.browser = await launch();
    });
    after(async () => {
      if (this.browser) await this.browser.close();
      this.stop();
    });
    return this;
  }

  // Signs `user` in through the API: a function calling it as them,
  // (method, path, body) → {status, body}, the body parsed when it is JSON.
  async session(user) {
    const login = await fetch(this.url + '/api/v1/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({username: user, password: PASSWORDS[user]})});
    const me = await login.json();
    const cookie = login.headers.get('set-cookie').split(';')[0];
    return async (method, path, body) => {
      const res = await fetch(this.url + '/api/v1' + path, {method, headers: {'Content-Type': 'application/json',
        'Cookie': cookie, 'X-CSRF-Token': me.csrf_token}, body: body ? JSON.stringify(body) : undefined});
      const type = res.headers.get('content-type') || '';
      return {status: res.status, body: type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer())};
    };
  }

  admin(args, env) {
    return run(SERVER, [...args, '--data', this.data], env);
  }

  laptop(name) {
    return path.join(this.dir, 'laptop-' + name);
  }

  dala(name, args, input, env = {}) {
    return run(DALA, args, {DALA_HOME: this.laptop(name), DALA_PASSPHRASE: name + '-laptop-passphrase', ...env}, input);
  }

  async start() {
    for (const f of [DALA, SERVER, BENCH_GEN]) {
      if (!fs.existsSync(f)) throw new Error(`${f} is missing: build Dala first (scripts/build test)`);
    }
    this.admin(['init', '--project', 'ngo2026', '--title', 'ЦОН assessment 2026']);
    this.admin(['user', 'add', 'ada', '--role', 'admin'], {DALA_PASSWORD: PASSWORDS.ada});
    this.admin(['user', 'add', 'aigerim', '--role', 'coordinator'], {DALA_PASSWORD: PASSWORDS.aigerim});
    this.admin(['user', 'add', 'dana', '--role', 'auditor'], {DALA_PASSWORD: PASSWORDS.dana});
    for (const v of ['askar', 'dina', 'ermek']) this.admin(['user', 'add', v, '--role', 'volunteer']);
    for (const f of ['psc_observation.json', 'citizen_exit_survey.json'])
      this.admin(['form', 'publish', path.join(FORMS, f), '--project', 'ngo2026']);
    await this.serve();
    return this;
  }

  // `tls`: HTTPS as an office server serves it, with a certificate from
  // its own authority (`dala-server tls init`; laptops need its ca.pem).
  async serve({tls = false} = {}) {
    const portFile = path.join(this.dir, 'port');
    fs.rmSync(portFile, {force: true});
    const log = fs.openSync(path.join(this.dir, 'server.log'), 'a');
    const https = tls ? ['--tls-cert', path.join(this.data, 'tls/cert.pem'), '--tls-key',
      path.join(this.data, 'tls/key.pem')] : [];
    if (tls && !fs.existsSync(path.join(this.data, 'tls/cert.pem'))) this.admin(['tls', 'init', '--host', '127.0.0.1']);
    this.server = spawn(SERVER, ['serve', '--data', this.data, '--listen', '127.0.0.1:0', '--port-file', portFile,
      ...https], {stdio: ['ignore', log, log], env: {...process.env, TZ: ALMATY}});
    for (let i = 0; i < 300 && !fs.existsSync(portFile); ++i) await new Promise((r) => setTimeout(r, 50));
    if (!fs.existsSync(portFile)) throw new Error('dala-server did not start: ' + fs.readFileSync(path.join(this.dir, 'server.log'), 'utf8'));
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${fs.readFileSync(portFile, 'utf8').trim()}`;
  }

  // A laptop with `revisions` generated records of psc_observation over
  // the last two weeks (tests/bench/bench_gen, with a cheap key), enrolled
  // and synced.
  volunteerWithRecords(name, revisions, seed, label) {
    run(BENCH_GEN, ['--profile', this.laptop(name), '--revisions', String(revisions), '--forms', FORMS,
      '--kdf', 'low', '--span-days', '14', '--edit-percent', '10', '--seed', String(seed)],
    {DALA_PASSPHRASE: name + '-laptop-passphrase'});
    this.enrol(name, label);
  }

  // A laptop made with `dala init`, enrolled.
  volunteer(name) {
    this.dala(name, ['init', '--lang', 'ru']);
    this.enrol(name);
  }

  enrol(name, label) {
    const code = this.admin(['enroll-code', name]).trim().split('\n').pop().trim();
    this.dala(name, ['enroll', this.url, code, '--label', label || name + '-laptop']);
    this.dala(name, ['sync']);
  }

  // Collects one record from answers; returns its id.
  collect(name, form, answers) {
    const file = path.join(this.dir, `answers-${name}-${Date.now()}-${Math.random()}.json`);
    fs.writeFileSync(file, JSON.stringify(answers));
    const out = this.dala(name, ['collect', form, '--answers', file]);
    const id = out.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    if (!id) throw new Error('no record id in: ' + out);
    return id[0];
  }

  // A conflict on `field` of record `id`: `editor` corrects it through the
  // server to `value` while `volunteer`, offline, changes it to `own`; then
  // the laptop syncs.
  async conflict(id, {editor, volunteer, field, value, own, note}) {
    const edit = await (await this.session(editor))('POST', `/submissions/${id}/edit`, {set: {[field]: value}, note});
    assert.equal(edit.status, 200, JSON.stringify(edit.body));
    this.dala(volunteer, ['edit', id.slice(-8), '--set', `${field}=${own}`]);
    this.dala(volunteer, ['sync']);
  }

  // The server stopped and started again, as HTTPS with its own authority.
  async restartWithTls() {
    const ended = new Promise((r) => this.server.once('exit', r));
    this.server.kill('SIGTERM');
    await ended;
    await this.serve({tls: true});
    return path.join(this.data, 'tls/ca.pem');
  }

  stop() {
    if (this.server) {
      this.server.kill('SIGTERM');
      this.server = null;
    }
    if (!process.env.DALA_KEEP_WORLD) fs.rmSync(this.dir, {recursive: true, force: true});
  }
}

// Today in Almaty (UTC+5), as laptops there write dates.
export function today() {
  return new Date(Date.now() + 5 * 3600_000).toISOString().slice(0, 10);
}

// The answers of a psc_observation at `centre` today, with `extra` on top.
export function observation(centre, extra = {}) {
  return {region: centre.slice(0, 3), centre, visit_date: today(), arrival_time: '10:00', queue_length: 12,
    waiting_source: 'test_case', waiting_minutes: 25, equeue_works: 'yes', signage_languages: ['kk', 'ru'],
    ramp: 'yes', complaints_book: 'yes', fees_posted: 'yes', windows_total: 8, windows_open: 5, staff_at_windows: 5,
    cleanliness: 4, ...extra};
}
