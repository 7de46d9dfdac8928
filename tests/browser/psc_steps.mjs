// The psc_observation answers both browsers' tests give after the queue
// length, up to the repeat: one list, so the Chromium and Firefox flows
// cannot drift apart. Each test drives them with its own typeAnswer and
// choose.

import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const PSC = JSON.parse(fs.readFileSync(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema/forms/psc_observation.json'), 'utf8'));

const STEPS = [
  ['choose', 'waiting_source', PSC.lists.waiting_sources[0].name],
  ['type', 'waiting_minutes', '20'],
  ['choose', 'equeue_works', PSC.lists.equeue_status[0].name],
  ['choose', 'signage_languages', 'kk', 'ru'],
  ['choose', 'ramp', PSC.lists.ramp_options[0].name],
  ['choose', 'complaints_book', PSC.lists.complaints_book_options[0].name],
  ['choose', 'fees_posted', 'yes'],
  ['type', 'windows_total', '10'],
  ['type', 'windows_open', '6'],
  ['type', 'staff_at_windows', '6'],
  ['choose', 'cleanliness', '4'],
];

export async function answerFromWaitingToCleanliness({typeAnswer, choose}) {
  for (const [kind, name, ...values] of STEPS) {
    if (kind === 'type') await typeAnswer(name, ...values);
    else await choose(name, ...values);
  }
}
