// Secrets in MONITOR and the slow log: the same commands run on our server
// and on a redis-server 7.0.15 started beside it must show the same
// arguments, "(redacted)" where Redis hides them, including the commands that
// fail part-way (Redis only redacts what its handler reached).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HAVE_REDIS, monitorLines, replyConnection, startRedis, startServer } from './helpers.mjs';

const ours = process.env.TEST_TARGET !== 'redis';
const skip = (!HAVE_REDIS || !ours) && 'needs redis-server';

let mine;
let reference;
/** [ours, redis] */
let conns;

before(async () => {
  if (skip) return;
  mine = await startServer([]);
  reference = await startRedis();
  conns = [await replyConnection(mine.port), reference.conn];
});

after(async () => {
  conns?.[0].close();
  reference?.stop();
  await mine?.stop();
});

const ports = () => [mine.port, reference.port];

// A missing key: MIGRATE answers NOKEY without connecting, after parsing (and redacting) its options.
const MIGRATE = ['MIGRATE', '127.0.0.1', '1', '', '0', '100'];

/** Commands a client may send with secrets in them, valid or not. */
const SECRET_COMMANDS = [
  ['AUTH', 'only-password'],
  ['AUTH', 'someone', 'secret'],
  ['AUTH', 'a', 'b', 'c'],
  ['HELLO', '2', 'AUTH', 'someone', 'secret'],
  ['HELLO', '3', 'AUTH', 'someone', 'secret', 'SETNAME', 'me'],
  ['HELLO', '2', 'SETNAME', 'me', 'AUTH', 'someone', 'secret'],
  ['HELLO', '2', 'SETNAME', 'bad name', 'AUTH', 'someone', 'secret'],
  ['HELLO', '2', 'AUTH', 'someone'],
  ['HELLO', '2', 'BOGUS', 'AUTH', 'someone', 'secret'],
  ['HELLO', '4', 'AUTH', 'someone', 'secret'],
  ['HELLO', 'x', 'AUTH', 'someone', 'secret'],
  // Redis stops at the first AUTH that fails: what follows is shown as sent.
  ['HELLO', '2', 'AUTH', 'someone', 'wrong', 'AUTH', 'default', 'never-reached'],
  ['HELLO', '2', 'AUTH', 'default', 'nopass-accepts-any', 'AUTH', 'someone', 'wrong', 'AUTH', 'x', 'y'],
  ['HELLO', '2', 'auth', 'default', 'nopass-is-set', 'SETNAME', 'after-auth'],
  [...MIGRATE, 'AUTH', 'secret', 'KEYS', 'k1', 'k2'],
  [...MIGRATE, 'COPY', 'REPLACE', 'AUTH2', 'someone', 'secret', 'KEYS', 'k1'],
  [...MIGRATE, 'AUTH2', 'someone'],
  [...MIGRATE, 'AUTH'],
  [...MIGRATE, 'BOGUS', 'AUTH', 'secret'],
  ['MIGRATE', '127.0.0.1', '1', 'missing', '0', '100', 'auth', 'secret'],
];

/** Admin commands with secrets: never in MONITOR, but in the slow log. */
const ADMIN_SECRET_COMMANDS = [
  ['CONFIG', 'SET', 'masterauth', 'secret'],
  ['CONFIG', 'SET', 'maxmemory', '0', 'MASTERUSER', 'someone', 'masterauth', 'secret'],
  ['CONFIG', 'SET', 'nosuchconfig', 'x', 'masterauth', 'secret'],
  ['CONFIG', 'SET', 'requirepass', ''],
  ['CONFIG', 'SET', 'masterauth', 'secret', 'maxmemory'],
  ['CONFIG', 'SET', 'masterauth', 'secret', 'maxmemory', 'not-a-size'],
  ['CONFIG', 'SET', 'masterauth', ''],
  ['CONFIG', 'SET', 'masteruser', ''],
  ['ACL', 'SETUSER', 'sheila', 'on', '>secret', '~*', '+@all'],
  ['ACL', 'SETUSER', 'sheila', 'bogus-rule'],
  ['ACL', 'SETUSER', 'bad name', '>secret'],
  ['ACL', 'DELUSER', 'sheila'],
  ['ACL', 'GETUSER', 'default'],
];

test('MONITOR shows the secrets of AUTH, HELLO and MIGRATE as Redis redacts them, and no admin command', { skip }, async () => {
  const commands = [...SECRET_COMMANDS, ...ADMIN_SECRET_COMMANDS];
  const [got, expected] = await Promise.all(ports().map((port) => monitorLines(port, commands)));
  assert.deepEqual(got, expected);
  assert.ok(expected.some((l) => l.includes('(redacted)')));
});

/** Each command's arguments as the slow log keeps them, oldest first. */
async function slowlogged(conn, commands) {
  await conn.command('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  await conn.command('SLOWLOG', 'RESET');
  const replies = [];
  for (const args of commands) replies.push(await conn.command(...args));
  await conn.command('CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
  const log = await conn.command('SLOWLOG', 'GET', '-1');
  await conn.command('SLOWLOG', 'RESET');
  await conn.command('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  return { replies, log: parseArgs(log) };
}

/**
 * The argument lists of a raw SLOWLOG GET reply, oldest first: each entry is
 * *6 of id, time, duration, *N args, peer, name; only the args are stable.
 */
function parseArgs(raw) {
  const lines = raw.split('\r\n');
  let i = 0;
  const next = () => lines[i++];
  const value = () => {
    const line = next();
    if (line[0] === '$') return next();
    if (line[0] === '*') return Array.from({ length: Number(line.slice(1)) }, value);
    return line;
  };
  return value().map((entry) => entry[3]).reverse();
}

test('SLOWLOG keeps the same redacted arguments as Redis, for admin commands too', { skip }, async () => {
  const commands = [...SECRET_COMMANDS, ...ADMIN_SECRET_COMMANDS];
  const [got, expected] = await Promise.all(conns.map((c) => slowlogged(c, commands)));
  assert.deepEqual(got.log, expected.log);
  // Client ids (HELLO) differ between the servers; nothing else does.
  const masked = (reply) => reply.replace(/\d+/g, 'N');
  for (let i = 0; i < commands.length; i++) assert.equal(masked(got.replies[i]), masked(expected.replies[i]), commands[i].join(' '));
});

test('a password set by CONFIG SET requirepass is redacted and then needed by both', { skip }, async () => {
  const commands = [['CONFIG', 'SET', 'requirepass', 'hunter2'], ['AUTH', 'hunter2'], ['AUTH', 'default', 'hunter2'], ['CONFIG', 'SET', 'requirepass', '']];
  const [got, expected] = await Promise.all(conns.map((c) => slowlogged(c, commands)));
  assert.deepEqual(got, expected);
  assert.deepEqual(got.log.slice(1, 4), [['CONFIG', 'SET', 'requirepass', '(redacted)'], ['AUTH', '(redacted)'], ['AUTH', '(redacted)', '(redacted)']]);
});
