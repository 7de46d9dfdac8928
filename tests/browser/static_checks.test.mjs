// Checks of the pages' sources that need no browser: every interface
// string the code uses exists in Kazakh, Russian and English (with the
// plural forms each language needs), and no code turns text into markup.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import {fileURLToPath} from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The dashboard, and the volunteer's page once it exists.
const WEB_DIRS = ['server/web', 'client/web'].map((d) => path.join(ROOT, d)).filter((d) => fs.existsSync(d));
const LANGUAGES = {kk: 'kk-KZ', ru: 'ru-RU', en: 'en-GB'};

function files(dir, ext) {
  const out = [];
  for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(p, ext));
    else if (p.endsWith(ext)) out.push(p);
  }
  return out;
}

// Keys used literally (t('a.b'), tn('a.b', n)), and the prefixes of keys
// built from a value (t('state.' + s)): those are checked as whole families.
function usedKeys(source) {
  const keys = new Set();
  const plurals = new Set();
  const prefixes = new Set();
  for (const m of source.matchAll(/\bt\('([a-z0-9_.]+)'\s*[,)]/g)) keys.add(m[1]);
  for (const m of source.matchAll(/\btn\('([a-z0-9_.]+)'\s*,/g)) plurals.add(m[1]);
  for (const m of source.matchAll(/\bt\('([a-z0-9_.]+\.)'\s*\+/g)) prefixes.add(m[1]);
  // Keys listed in arrays and tables: ['people.name', ...], {key: 'nav.overview'}.
  for (const m of source.matchAll(/(?:key|label): '([a-z0-9_]+\.[a-z0-9_.]+)'/g)) keys.add(m[1]);
  for (const m of source.matchAll(/\[((?:'[a-z0-9_]+\.[a-z0-9_.]+',?\s*)+)\]\.map\(\(k\) => [^)]*t\(k\)/g))
    for (const k of m[1].matchAll(/'([^']+)'/g)) keys.add(k[1]);
  return {keys, plurals, prefixes};
}

for (const dir of WEB_DIRS) {
  const name = path.relative(ROOT, dir);
  const catalogs = Object.fromEntries(Object.keys(LANGUAGES).map((l) =>
    [l, JSON.parse(fs.readFileSync(path.join(dir, 'i18n', l + '.json'), 'utf8'))]));
  const sources = files(path.join(dir, 'js'), '.js').map((f) => ({f, text: fs.readFileSync(f, 'utf8')}));

  test(`${name}: every string the pages use exists in kk, ru and en`, () => {
    const missing = [];
    for (const {f, text} of sources) {
      const {keys} = usedKeys(text);
      for (const key of keys)
        for (const l of Object.keys(LANGUAGES))
          if (!(key in catalogs[l])) missing.push(`${l}: ${key} (${path.relative(ROOT, f)})`);
    }
    assert.deepEqual(missing, []);
  });

  test(`${name}: every plural has the forms each language's rules ask for`, () => {
    const missing = [];
    for (const {f, text} of sources) {
      for (const key of usedKeys(text).plurals) {
        for (const [l, locale] of Object.entries(LANGUAGES)) {
          for (const form of new Intl.PluralRules(locale).resolvedOptions().pluralCategories)
            if (!(`${key}.${form}` in catalogs[l])) missing.push(`${l}: ${key}.${form} (${path.relative(ROOT, f)})`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  test(`${name}: families of keys built from values are complete in every language`, () => {
    const missing = [];
    for (const {text} of sources) {
      for (const prefix of usedKeys(text).prefixes) {
        const family = new Set(Object.values(catalogs).flatMap((c) => Object.keys(c)).filter((k) => k.startsWith(prefix)));
        assert.ok(family.size > 0, `no key starts with ${prefix}`);
        for (const key of family)
          for (const l of Object.keys(LANGUAGES)) if (!(key in catalogs[l])) missing.push(`${l}: ${key}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  test(`${name}: the three catalogs hold the same keys`, () => {
    const all = new Set(Object.values(catalogs).flatMap((c) => Object.keys(c)));
    const base = (k) => k.replace(/\.(one|few|many|other)$/, '');
    const problems = [];
    for (const key of all) {
      for (const l of Object.keys(LANGUAGES)) {
        const has = Object.keys(catalogs[l]).some((k) => base(k) === base(key));
        if (!has) problems.push(`${l} lacks ${key}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test(`${name}: no code turns text into markup or runs strings`, () => {
    const forbidden = /\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(\s*['"`]|srcdoc/;
    const found = sources.filter(({text}) => forbidden.test(text)).map(({f}) => path.relative(ROOT, f));
    assert.deepEqual(found, []);
  });
}

test('the key extraction finds keys in the forms the pages write them', () => {
  const {keys, plurals, prefixes} = usedKeys(`t('a.b'); t('c.d', {x}); tn('e.f', 2); t('state.' + s); {key: 'g.h'}`);
  assert.deepEqual([...keys].sort(), ['a.b', 'c.d', 'g.h']);
  assert.deepEqual([...plurals], ['e.f']);
  assert.deepEqual([...prefixes], ['state.']);
});
