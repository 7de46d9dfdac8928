// Every decision a coordinator makes goes through here: reviews,
// corrections, resolutions of conflicts, duplicate decisions. Each becomes
// one signed envelope in the log. Keeping them in one module means the
// place where a decision is signed is one place.

import {api} from './api.js';

const path = (id) => '/submissions/' + encodeURIComponent(id);

// state: approved | has_issues (a comment is required) | rejected (a reason is required)
export function review(id, state, comment) {
  return api('POST', path(id) + '/review', {state, comment: comment || ''});
}

// `set`: {question: value or null}; the answers are checked by the form.
export function correct(id, set, note) {
  return api('POST', path(id) + '/edit', {set, note: note || ''});
}

export function resolve(id, set, note) {
  return api('POST', path(id) + '/resolve', {set, note: note || ''});
}

// decision: merged_into (subject retires in favour of other) | not_duplicate
export function decideDuplicate(subject, other, decision) {
  return api('POST', '/duplicates/decide', {submission: subject, other, decision});
}

// What the form says of answers before anything is decided: its own
// constraint and required messages, in the chosen language.
export function check(id, set, language) {
  return api('POST', path(id) + '/check', {set, language});
}
