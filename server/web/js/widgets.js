// Small pieces several pages draw the same way.

import {h} from './dom.js';
import {t} from './i18n.js';

export const REVIEW_STATES = ['received', 'has_issues', 'approved', 'rejected'];

// The short id every Dala command shows: the last 8 hex digits, the random
// end of the UUIDv7 (its start is a time, shared by records of one second).
export function shortId(id) {
  return String(id).replace(/-/g, '').slice(-8);
}

export function stateBadge(state) {
  return h('span', {class: ['state', state]}, t('state.' + state));
}

// The flags beside a record in lists: conflict, possible duplicate,
// changed since the last decision, merged.
export function flags(s) {
  return [
    s.conflicts > 0 ? h('span', {class: 'flag conflict', title: t('flag.conflict_title')}, t('flag.conflict')) : null,
    s.duplicate ? h('span', {class: 'flag duplicate'}, t('flag.duplicate')) : null,
    s.changed_since_review ? h('span', {class: 'flag changed', title: t('flag.changed_title')}, t('flag.changed')) : null,
    s.merged_into ? h('span', {class: 'flag merged'}, t('flag.merged')) : null,
  ];
}

// A labelled control in a .field box; `control` must have an id.
export function field(label, control, hint) {
  return h('div', {class: 'field'}, h('label', {for: control.id}, label), control,
      hint ? h('span', {class: 'hint'}, hint) : null);
}

export function select(id, options, value, onChange, extra) {
  return h('select', {id, ...extra, on: onChange ? {change: (e) => onChange(e.target.value)} : undefined},
      options.map(([v, label]) => h('option', {value: v, selected: String(v) === String(value ?? '')}, label)));
}

// A hex key as four-character groups of its first 16 characters: what a
// coordinator reads out over the phone to check a laptop.
export function fingerprint(hex) {
  return String(hex).slice(0, 16).replace(/(.{4})(?=.)/g, '$1 ');
}

// Who signed an envelope, in the chosen language, from the API's `signer`
// (server/API.md, history): a laptop, a person's own key, or the server
// attesting for a person.
export function signerText(signer) {
  const s = signer || {};
  if (s.kind === 'laptop') return t('signer.laptop', {who: s.name, laptop: s.laptop});
  if (s.kind === 'person') return t('signer.person', {who: s.name});
  if (s.kind === 'server') return t('signer.server', {who: s.name});
  return t('signer.unknown', {key: s.name || ''});
}

// A step that cannot be undone, in two: the button `label` shows `box`
// (the confirming button, and whatever is asked first) in its place and
// puts the focus on `first`.
export function confirmFirst(label, box, first) {
  box.hidden = true;
  const open = h('button', {type: 'button', class: 'danger', on: {click: () => {
    box.hidden = false;
    open.hidden = true;
    first.focus();
  }}}, label);
  return [open, box];
}

// A question in words, for the API errors that name a field.
export function errorText(err) {
  if (!err) return '';
  if (err.code === 'network') return t('error.network');
  // A decision this browser cannot sign: say how to get a key.
  if (['no_key', 'revoked_person_key', 'unknown_person_key', 'decision_must_be_signed'].includes(err.code))
    return t('key.cannot_decide');
  return err.code ? `${err.message} (${err.code})` : String(err.message || err);
}
