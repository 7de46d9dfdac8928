// Debian's Firefox ESR, driven over WebDriver BiDi (the W3C protocol Firefox
// speaks natively), for the volunteer's page: issue 12 asks for Chromium and
// Firefox ESR. playwright-core reaches Firefox only through its own patched
// build, or through BiDi commands newer than Debian's ESR answers
// (emulation.setMediaFeaturesOverride), so this file speaks the few BiDi
// commands the test needs itself, over Node's WebSocket
// (--experimental-websocket on Node 20).
//
// Only loopback: the profile routes every other address through a proxy on
// 127.0.0.1 port 9 (discard, nothing listens) and turns off Firefox's own
// update, telemetry and remote-settings traffic.

import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {SCREENSHOTS} from './browser.mjs';

export const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';

const PREFS = {
  'network.proxy.type': 1,
  'network.proxy.http': '127.0.0.1',
  'network.proxy.http_port': 9,
  'network.proxy.ssl': '127.0.0.1',
  'network.proxy.ssl_port': 9,
  'network.proxy.share_proxy_settings': true,
  'network.proxy.allow_hijacking_localhost': false,
  'network.proxy.no_proxies_on': '127.0.0.1,localhost',
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'app.update.disabledForTesting': true,
  'app.normandy.enabled': false,
  'services.settings.server': 'http://127.0.0.1:9/',
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'toolkit.telemetry.enabled': false,
  'extensions.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'browser.newtabpage.enabled': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'intl.accept_languages': 'en-GB',
};

export class Firefox {
  // Starts Firefox ESR headless on a fresh profile and opens a BiDi session.
  static async launch() {
    if (!fs.existsSync(FIREFOX)) throw new Error(`${FIREFOX} is missing: run scripts/bootstrap`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dala-firefox-'));
    const profile = path.join(dir, 'profile');
    fs.mkdirSync(profile);
    fs.writeFileSync(path.join(profile, 'user.js'),
      Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));
    // Firefox refuses a HOME it does not own (root in CI): give it its own.
    const child = spawn(FIREFOX, ['--headless', '--no-remote', '--remote-debugging-port=0', '--profile', profile,
      'about:blank'], {env: {...process.env, HOME: dir, MOZ_CRASHREPORTER_DISABLE: '1'}, stdio: ['ignore', 'ignore', 'pipe']});
    const address = await new Promise((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error('Firefox did not start: ' + err)), 60_000);
      child.stderr.on('data', (d) => {
        err += d;
        const m = err.match(/WebDriver BiDi listening on (ws:\/\/127\.0\.0\.1:\d+)/);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error('Firefox ended: ' + code + ' ' + err)); });
    });
    const fox = new Firefox(child, dir, new WebSocket(address + '/session'));
    await new Promise((resolve, reject) => { fox.socket.onopen = resolve; fox.socket.onerror = reject; });
    await fox.send('session.new', {capabilities: {alwaysMatch: {acceptInsecureCerts: false}}});
    await fox.send('session.subscribe', {events: ['log.entryAdded']});
    const tree = await fox.send('browsingContext.getTree', {});
    fox.context = tree.contexts[0].context;
    return fox;
  }

  constructor(child, dir, socket) {
    this.child = child;
    this.dir = dir;
    this.socket = socket;
    this.next = 1;
    this.waiting = new Map();
    this.problems = [];  // page errors and console errors, as with Chromium's watchedPage
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'event' && message.method === 'log.entryAdded') {
        const entry = message.params;
        if (entry.level === 'error') this.problems.push(entry.type + ': ' + entry.text);
        return;
      }
      const call = this.waiting.get(message.id);
      if (!call) return;
      this.waiting.delete(message.id);
      if (message.type === 'error') call.reject(new Error(`${call.method}: ${message.error}: ${message.message}`));
      else call.resolve(message.result);
    };
  }

  send(method, params) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, {resolve, reject, method});
      this.socket.send(JSON.stringify({id, method, params}));
    });
  }

  async goto(url) {
    await this.send('browsingContext.navigate', {context: this.context, url, wait: 'complete'});
  }

  async setViewport(width, height) {
    await this.send('browsingContext.setViewport', {context: this.context, viewport: {width, height}});
  }

  // Runs `body` (a function) in the page with `args` (JSON-able) and
  // returns its JSON-able result; an exception in the page fails the call.
  async run(body, ...args) {
    const wrapped = `async (...a) => JSON.stringify(await (${body.toString()})(...a.map((x) => JSON.parse(x)))) ?? 'null'`;
    const r = await this.send('script.callFunction', {functionDeclaration: wrapped, awaitPromise: true,
      target: {context: this.context}, arguments: args.map((a) => ({type: 'string', value: JSON.stringify(a)})),
      resultOwnership: 'none'});
    if (r.type === 'exception') throw new Error('in Firefox: ' + r.exceptionDetails.text);
    return r.result.type === 'string' ? JSON.parse(r.result.value) : null;
  }

  // Waits until `selector` matches an element, and returns its text.
  async waitFor(selector, timeoutMs = 20_000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const text = await this.run((s) => {
        const e = document.querySelector(s);
        return e ? e.textContent : null;
      }, selector);
      if (text !== null) return text;
      if (Date.now() > end) {
        const page = await this.run(() => (document.body ? document.body.innerText.slice(0, 400) : ''));
        throw new Error(`Firefox: no ${selector} after ${timeoutMs} ms; the page shows: ${page}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async screenshot(name) {
    const r = await this.send('browsingContext.captureScreenshot', {context: this.context});
    fs.mkdirSync(SCREENSHOTS, {recursive: true});
    fs.writeFileSync(path.join(SCREENSHOTS, name + '.png'), Buffer.from(r.data, 'base64'));
  }

  async close() {
    try { await this.send('session.end', {}); } catch (e) { /* Firefox may already be gone */ }
    this.socket.close();
    if (this.child.exitCode === null) {
      const ended = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await ended;
    }
    fs.rmSync(this.dir, {recursive: true, force: true});
  }
}
