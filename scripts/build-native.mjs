// npm install step: builds the optional accept addon (native/busy_accept.c).
// Without a C compiler the server still works; only connections opened while
// a script is busy then wait for it to end. So a failed build warns, never fails the install.
import { spawnSync } from 'node:child_process';

const result = spawnSync('node-gyp', ['rebuild'], { stdio: ['ignore', 'ignore', 'pipe'], shell: process.platform === 'win32' });
if (result.status !== 0) {
  const reason = result.error?.message ?? result.stderr.toString().trim().split('\n').slice(-3).join('\n');
  console.warn(`noderedis-server: the optional native accept addon was not built (${reason}).\n` +
    'Everything works without it, except that connections opened while a script is busy wait until it ends.');
}
