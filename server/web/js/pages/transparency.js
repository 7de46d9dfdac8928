// What an auditor needs to check this server without trusting it: its
// public key (compared out of band), the latest signed checkpoint, the
// audit bundle, and how to run the check.

import {api} from '../api.js';
import {h, replace} from '../dom.js';
import {formatNumber, t} from '../i18n.js';
import {fingerprint} from '../widgets.js';

export async function render(main, params, app) {
  const server = await api('GET', '/server');
  document.title = t('nav.transparency') + ' · Dala';
  const mayDownload = app.session.role === 'auditor' || app.session.role === 'admin';
  replace(main,
      h('h1', null, t('nav.transparency')),
      h('p', {class: 'lead'}, t('transparency.lead')),
      h('section', {class: 'panel'},
          h('h2', null, t('transparency.key')),
          h('p', null, t('transparency.key_lead')),
          h('dl', {class: 'answers'},
              h('dt', null, t('transparency.fingerprint')), h('dd', {class: 'mono', id: 'server-fingerprint'}, fingerprint(server.fingerprint)),
              h('dt', null, t('transparency.verifier')), h('dd', {class: 'mono', id: 'verifier-key'}, server.verifier_key),
              h('dt', null, t('transparency.public_key')), h('dd', {class: 'mono'}, server.public_key),
              h('dt', null, t('transparency.origin')), h('dd', {class: 'mono'}, server.origin))),
      h('section', {class: 'panel'},
          h('h2', null, t('transparency.checkpoint')),
          h('p', null, t('transparency.checkpoint_lead', {size: formatNumber(server.checkpoint.size)})),
          h('dl', {class: 'answers'},
              h('dt', null, t('transparency.size')), h('dd', null, formatNumber(server.checkpoint.size)),
              h('dt', null, t('transparency.root')), h('dd', {class: 'mono'}, server.checkpoint.root)),
          h('pre', {'aria-label': t('transparency.note')}, server.checkpoint.note)),
      h('section', {class: 'panel'},
          h('h2', null, t('transparency.bundle')),
          mayDownload ? h('p', null, h('a', {class: 'button primary', href: '/api/v1/export/bundle', download: 'audit.dala'},
              t('transparency.download'))) : h('p', {class: 'hint'}, t('transparency.bundle_who')),
          h('h3', null, t('transparency.how')),
          h('p', null, t('transparency.how_lead')),
          h('pre', null, `dala audit verify audit.dala --server-key '${server.verifier_key}' --receipts receipts/`),
          h('p', {class: 'hint'}, t('transparency.how_receipts'))));
}
