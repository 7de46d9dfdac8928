// Form documents as the pages need them: the published forms, their
// questions in form order, and the labels of questions, choices, regions and
// centres in the chosen language (from the form's own translations).

import {api} from './api.js';
import {formLabel, formatDay} from './i18n.js';

let formList = null;
const documents = new Map();  // hash -> document

// Every published form: [{hash, form, version, project, published_ms}],
// newest version of each id last.
export async function publishedForms() {
  if (!formList) formList = (await api('GET', '/forms')).forms;
  return formList;
}

// The newest published version of each form id.
export async function latestForms() {
  const latest = new Map();
  for (const f of await publishedForms()) {
    const seen = latest.get(f.form);
    if (!seen || f.published_ms >= seen.published_ms) latest.set(f.form, f);
  }
  return [...latest.values()];
}

// After publishing or retiring: the next page asks the server again.
export function forgetPublishedForms() {
  formList = null;
}

export async function formDocument(hash) {
  if (!documents.has(hash)) documents.set(hash, await api('GET', '/forms/' + encodeURIComponent(hash)));
  return documents.get(hash);
}

// The document of the newest version of form `id`, or null.
export async function latestDocument(id) {
  const f = (await latestForms()).find((x) => x.form === id);
  return f ? formDocument(f.hash) : null;
}

export function text(doc, value) {
  return formLabel(value, doc && doc.default_language);
}

// A question's label, or its name where it has none (calculations).
export function questionLabel(doc, q) {
  return (q && text(doc, q.label)) || (q && q.name) || '';
}

export function title(doc) {
  return doc ? text(doc, doc.title) : '';
}

// Every question with an answer or a place in the layout, in form order,
// each with its depth and the repeat it belongs to.
export function questions(doc) {
  const out = [];
  const walk = (list, depth, repeat) => {
    for (const q of list || []) {
      out.push({q, depth, repeat});
      if (q.children) walk(q.children, depth + 1, q.type === 'repeat' ? q.name : repeat);
    }
  };
  walk(doc ? doc.questions : [], 0, null);
  return out;
}

export function findQuestion(doc, name) {
  const found = questions(doc).find((x) => x.q.name === name);
  return found ? found.q : null;
}

// The label of choice `value` of list `listName`, or the value itself.
export function choiceLabel(doc, listName, value) {
  const list = doc && doc.lists ? doc.lists[listName] : null;
  const item = list ? list.find((c) => c.name === value) : null;
  return item ? text(doc, item.label) : String(value);
}

// The label of an answer to question `q`, as shown: choices by their
// labels, several choices joined, other values as they are.
export function answerText(doc, q, value) {
  if (value === null || value === undefined) return '';
  if (q && (q.type === 'select_one' || q.type === 'select_multiple')) {
    const values = Array.isArray(value) ? value : String(value).split(' ').filter(Boolean);
    return values.map((v) => choiceLabel(doc, q.list, v)).join(', ');
  }
  if (typeof value === 'boolean') return value ? '✓' : '✗';
  if (q && q.type === 'date') return formatDay(String(value));
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// Region and centre names from any form that lists them.
export async function places(formId) {
  const doc = formId ? await latestDocument(formId) : null;
  const docs = doc ? [doc] : await Promise.all((await latestForms()).map((f) => formDocument(f.hash)));
  const regions = new Map();
  const centres = new Map();
  for (const d of docs) {
    for (const r of (d.lists && d.lists.regions) || []) if (!regions.has(r.name)) regions.set(r.name, text(d, r.label));
    for (const c of (d.lists && d.lists.centres) || []) if (!centres.has(c.name)) centres.set(c.name, {...c, label: text(d, c.label)});
  }
  return {regions, centres};
}
