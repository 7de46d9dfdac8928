// Every decision a coordinator makes goes through here: reviews,
// corrections, resolutions of conflicts, duplicate decisions. Each becomes
// one signed envelope in the log, signed in this page by the person's own
// key (sync/README.md, "Decisions"): the server drafts the decision, this
// page checks that the draft says what the person asked, completes it,
// signs it and sends the bytes, which the server appends unchanged.
//
// The key is an Ed25519 key made by WebCrypto, not extractable: the page
// can sign with it but nobody can read it out, not even this code. It is
// kept in IndexedDB per server and person. A person who never had a key
// still decides through the server, which signs in their name ("attested
// by the server"); once they have one, only their key decides.

import {api, ApiError} from './api.js';

const path = (id) => '/submissions/' + encodeURIComponent(id);

// --- the envelope's bytes (sync/README.md, "The signed envelope") -------------------------------

const ENVELOPE_DOMAIN = 'dala-envelope-v1\n';
const PERSON_KEY_DOMAIN = 'dala-person-key-v1\n';
const encoder = new TextEncoder();

function hexToBytes(hex) {
  if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error('not lower-case hex: ' + hex.slice(0, 20));
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function bytesToBase64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u64(value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

function fixed(hex, size) {
  const b = hexToBytes(hex);
  if (b.length !== size) throw new Error(`expected ${size} bytes, got ${b.length}`);
  return b;
}

function shortText(text) {
  const b = encoder.encode(text);
  if (b.length > 64) throw new Error('form id or version longer than 64 bytes');
  return concat([Uint8Array.of(b.length), b]);
}

// The signed bytes of an envelope: every field of the table but the
// signature. `f`: {kind, submission, author, sequence, previous, hlc (BigInt),
// wall_ms, form_hash, parents, form_id, form_version, body} with hex for
// bytes, as the server's draft gives them.
export function signedBytes(f) {
  const parents = [...f.parents].sort();
  if (parents.length > 16) throw new Error('more than 16 parents');
  const body = encoder.encode(f.body);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, body.length);
  return concat([
    encoder.encode('DLE1'), Uint8Array.of(f.kind), fixed(f.submission, 16), fixed(f.author, 32), u64(f.sequence),
    fixed(f.previous, 32), u64(f.hlc), u64(f.wall_ms), fixed(f.form_hash, 32), Uint8Array.of(parents.length),
    ...parents.map((p) => fixed(p, 32)), shortText(f.form_id), shortText(f.form_version), length, body,
  ]);
}

async function sign(privateKey, domain, message) {
  const signature = await crypto.subtle.sign({name: 'Ed25519'}, privateKey, concat([encoder.encode(domain), message]));
  return new Uint8Array(signature);
}

// The envelope's bytes and id (the SHA-256 of its signed bytes).
export async function sealEnvelope(fields, privateKey) {
  const bytes = signedBytes(fields);
  const signature = await sign(privateKey, ENVELOPE_DOMAIN, bytes);
  const id = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return {bytes: concat([bytes, signature]), id: bytesToHex(id)};
}

// --- the key, kept in IndexedDB ---------------------------------------------------------------

function database() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('dala', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('keys');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function withStore(mode, work) {
  const db = await database();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction('keys', mode);
      const request = work(tx.objectStore('keys'));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const slot = (user) => location.origin + ' ' + user;

async function loadKey(user) {
  return (await withStore('readonly', (s) => s.get(slot(user)))) || null;
}

// This browser's key for `user`, and what the server says of it:
// {local: {publicHex, privateKey} | null, mine: the enrolled row of this
// browser's key | null, keys: every key enrolled for the person,
// signsOwn: whether they ever had one (then only a key decides)}.
export async function keyState(user) {
  const [stored, answer] = await Promise.all([loadKey(user).catch(() => null), api('GET', '/me/keys')]);
  const mine = stored ? answer.keys.find((k) => k.key === stored.publicHex) || null : null;
  return {local: stored, mine, keys: answer.keys, signsOwn: answer.signs_own_decisions};
}

// Whether decisions from this page are signed by the person's key; false
// for a person who never had a key (the server attests for them). Throws
// ApiError 'no_key' when they must sign and this browser cannot.
async function signer(user) {
  const state = await keyState(user);
  if (state.mine && !state.mine.revoked_ms) return {key: state.local};
  if (!state.signsOwn) return null;
  throw new ApiError(403, state.mine ? 'revoked_person_key' : 'no_key', 'no usable key in this browser');
}

// The code as the server normalizes it (sync/enrolment.h): 12 characters
// of its alphabet, upper case, without dashes or spaces.
export function normalizeCode(typed) {
  const code = typed.replace(/[- ]/g, '').toUpperCase();
  return /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{12}$/.test(code) ? code : '';
}

// Makes a key in this browser and enrols it with the code an admin gave.
export async function enrolKey(user, typedCode, label) {
  const code = normalizeCode(typedCode);
  if (!code) throw new ApiError(400, 'bad_code', 'not an enrolment code');
  const pair = await crypto.subtle.generateKey({name: 'Ed25519'}, false, ['sign', 'verify']);
  const publicHex = bytesToHex(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)));
  const proof = await sign(pair.privateKey, PERSON_KEY_DOMAIN, encoder.encode(code + '\n' + publicHex));
  const row = await api('POST', '/me/keys', {key: publicHex, proof: bytesToHex(proof), code, label});
  await withStore('readwrite', (s) => s.put({publicHex, privateKey: pair.privateKey}, slot(user)));
  return row;
}

// --- decisions ------------------------------------------------------------------------------

// The draft must be the decision the person asked for: the server drafts,
// but the person signs, so a server that changed a word would have them
// sign its words.
function checkDraft(draft, user, asked) {
  for (const env of draft.envelopes) {
    const body = JSON.parse(env.body);
    if (body.by !== user) throw new Error('the server drafted a decision in the name of ' + body.by);
    for (const [k, v] of Object.entries(asked.event || {}))
      if ((body[k] || '') !== v) throw new Error(`the server drafted ${k} = ${body[k]}, not ${v}`);
    for (const [k, v] of Object.entries(asked.set || {})) {
      const got = body.answers ? body.answers[k] : undefined;
      if (JSON.stringify(got === undefined ? null : got) !== JSON.stringify(v))
        throw new Error(`the server drafted ${k} = ${JSON.stringify(got)}, not ${JSON.stringify(v)}`);
    }
  }
}

async function signAndSend(key, draft) {
  let previous = draft.previous;
  let sequence = BigInt(draft.sequence);
  let hlc = BigInt(draft.hlc_floor) + 1n;
  const sealed = [];
  for (const env of draft.envelopes) {
    const wall = Date.now();
    const now = BigInt(wall) << 16n;
    hlc = now > hlc ? now : hlc;
    const {bytes, id} = await sealEnvelope({...env, author: draft.key, sequence, previous, hlc, wall_ms: wall},
        key.privateKey);
    sealed.push(bytesToBase64(bytes));
    previous = id;
    sequence += 1n;
    hlc += 1n;
  }
  return api('POST', '/decisions', {envelopes: sealed});
}

// One decision: signed here by the person's key, or, for a person who never
// had one, the server-signed route `legacy` ("attested by the server").
async function decide(user, request, asked, legacy) {
  const s = await signer(user);
  if (!s) return legacy();
  for (let attempt = 0; ; attempt++) {
    const draft = await api('POST', '/decisions/draft', {...request, key: s.key.publicHex});
    checkDraft(draft, user, asked);
    try {
      return await signAndSend(s.key, draft);
    } catch (err) {
      // Another tab's decision took this place in the key's chain.
      if (!(err instanceof ApiError) || err.code !== 'chain_conflict' || attempt > 1) throw err;
    }
  }
}

// state: approved | has_issues (a comment is required) | rejected (a reason is required)
export function review(user, id, state, comment) {
  return decide(user, {action: 'review', submission: id, state, comment: comment || ''},
      {event: {type: 'review', state, comment: comment || ''}},
      () => api('POST', path(id) + '/review', {state, comment: comment || ''}));
}

// `set`: {question: value or null}; the answers are checked by the form.
export function correct(user, id, set, note) {
  return decide(user, {action: 'edit', submission: id, set, note: note || ''}, {set},
      () => api('POST', path(id) + '/edit', {set, note: note || ''}));
}

export function resolve(user, id, set, note) {
  return decide(user, {action: 'resolve', submission: id, set, note: note || ''}, {set},
      () => api('POST', path(id) + '/resolve', {set, note: note || ''}));
}

// decision: merged_into (subject retires in favour of other) | not_duplicate
export function decideDuplicate(user, subject, other, decision) {
  return decide(user, {action: 'duplicate', submission: subject, other, decision},
      {event: {type: 'duplicate', decision}},
      () => api('POST', '/duplicates/decide', {submission: subject, other, decision}));
}

// What the form says of answers before anything is decided: its own
// constraint and required messages, in the chosen language.
export function check(id, set, language) {
  return api('POST', path(id) + '/check', {set, language});
}
