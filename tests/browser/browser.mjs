// Debian's Chromium driven by playwright-core, as the browser tests use it:
// no download of another browser, no network beyond loopback, every console
// error and page error collected so a test can fail on it, screenshots
// written where scripts/test keeps its artifacts, and axe-core run on a page.

import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {chromium} from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const SCREENSHOTS = process.env.DALA_SCREENSHOTS ||
  path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../build/screenshots');

export const SIZES = [{width: 1366, height: 768}, {width: 1024, height: 600}];

// A name the browser resolves to 127.0.0.1 and nothing else does: the
// dashboard as an office's laptops reach it, by a name on the network,
// with no traffic leaving loopback.
export const OFFICE_HOST = 'dala-office.test';

export async function launch() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) throw new Error(`${executablePath} is missing: run scripts/bootstrap`);
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-default-apps', '--lang=en-GB',
      `--host-resolver-rules=MAP ${OFFICE_HOST} 127.0.0.1`],
  });
}

// A page that remembers every console error, page error and dialog. A
// dialog (alert, confirm) is dismissed and remembered: hostile text that
// managed to run would show up here.
export async function watchedPage(browser, {viewport = SIZES[0], locale = 'en-GB'} = {}) {
  const context = await browser.newContext({viewport, locale});
  const page = await context.newPage();
  page.problems = [];
  page.dialogs = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push('console: ' + m.text());
  });
  page.on('pageerror', (e) => page.problems.push('page error: ' + String(e)));
  page.on('dialog', async (d) => {
    page.dialogs.push(d.message());
    await d.dismiss();
  });
  // Only loopback (OFFICE_HOST is 127.0.0.1 too): anything else the page
  // asks for is a failure.
  await context.route(/^(?!http:\/\/(127\.0\.0\.1|dala-office\.test):)/, (route) => {
    page.problems.push('request outside loopback: ' + route.request().url());
    return route.abort();
  });
  return page;
}

export async function signIn(page, url, user, password) {
  await page.goto(url + '/');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('header.top nav');
}

// Waits for `selector`; on a timeout, the error says what the page showed
// and what went wrong in it, not only what was missing.
export async function ready(page, selector, timeout = 30_000) {
  try {
    await page.waitForSelector(selector, {timeout});
  } catch (e) {
    const shown = await page.evaluate(() => (document.querySelector('main') || document.body).innerText.slice(0, 600))
        .catch(() => '<no page>');
    throw new Error(`${selector} did not appear at ${page.url()}\nthe page shows: ${shown}\nproblems: ${page.problems.join('; ')}`);
  }
}

// Waits for a page of the dashboard to finish drawing.
export async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('main .loading') && document.querySelector('main h1'));
}

export async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, {recursive: true});
  const file = path.join(SCREENSHOTS, `${name}-${page.viewportSize().width}x${page.viewportSize().height}.png`);
  // Two frames first: a full-page shot just after a viewport change was
  // once taken before the page was painted again at the new width.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  await page.screenshot({path: file, fullPage: true});
  return file;
}

// axe-core's serious and critical findings on the page as it is now. Run
// through the DevTools protocol, which the page's CSP does not govern.
export async function accessibilityProblems(page) {
  await page.evaluate(AXE + ';0');
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {resultTypes: ['violations']});
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  return result;
}
