// oom-score-adj: the server writes its own /proc/<pid>/oom_score_adj on
// Linux, relative to the value it found or absolute, and restores that value
// when the directive is turned off (Redis 7.0.15's unit/oom-score-adj rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { useServer } from './helpers.mjs';

let server;
let r;
useServer([], (s, client) => {
  server = s;
  r = client;
});

const file = () => `/proc/${server.proc.pid}/oom_score_adj`;
const score = () => Number(readFileSync(file(), 'utf8'));

test('relative, absolute, and restored on disable', { skip: process.platform !== 'linux', timeout: 10000 }, async () => {
  writeFileSync(file(), '22\n');
  assert.equal(await r.config('SET', 'oom-score-adj-values', '9 9 9', 'oom-score-adj', 'yes'), 'OK');
  assert.equal(score(), 31);
  await r.config('SET', 'oom-score-adj-values', '15 20 30');
  assert.equal(score(), 37);
  await r.config('SET', 'oom-score-adj', 'absolute');
  assert.equal(score(), 15);
  await r.config('SET', 'oom-score-adj', 'no');
  assert.equal(score(), 22);
});

test('values do not touch the file while disabled', { skip: process.platform !== 'linux', timeout: 10000 }, async () => {
  await r.config('SET', 'oom-score-adj', 'no');
  writeFileSync(file(), '24\n');
  await r.config('SET', 'oom-score-adj-values', '1 1 1');
  assert.equal(score(), 24);
  await assert.rejects(r.config('SET', 'oom-score-adj-values', '-2001 0 0'), /must be between -2000 and 2000/);
});
