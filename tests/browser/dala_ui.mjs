// A running `dala ui` for the browser tests: started on a profile, its
// printed address (with the one-time token) read back, stopped or killed.

import {spawn} from 'node:child_process';

import {DALA} from './world.mjs';

export class DalaUi {
  // `env` names the profile (DALA_HOME) and its time zone; the passphrase
  // is typed on the page, never taken from the environment.
  constructor(env) {
    this.env = {...env};
    delete this.env.DALA_PASSPHRASE;
    this.process = null;
  }

  // Starts `dala ui` and returns the address it printed.
  start(args = []) {
    this.process = spawn(DALA, ['ui', '--no-browser', ...args], {env: this.env, stdio: ['ignore', 'pipe', 'inherit']});
    let out = '';
    return new Promise((resolve, reject) => {
      this.process.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/);
        if (m) resolve(m[0]);
      });
      this.process.once('exit', (code) => reject(new Error('dala ui ended: ' + code + ' ' + out)));
    });
  }

  async stop(signal = 'SIGTERM') {
    if (!this.process || this.process.exitCode !== null || this.process.signalCode !== null) return;
    const ended = new Promise((r) => this.process.once('exit', r));
    this.process.kill(signal);
    await ended;
  }
}
