// ACL: rules, ACL LIST/GETUSER/CAT and errors compared with a real
// redis-server 7.0.15 started here; enforcement for a restricted user through
// ioredis and node-redis (commands, keys, channels, MULTI/EXEC, scripts, ACL
// LOG); disconnections; aclfile round trip; user/rename-command directives;
// a bounded ACL LOG under a stream of wrong passwords.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { freePort, launch, replyConnection, startServer, tempDirs, waitForPort } from './helpers.mjs';

const haveRedis = (() => {
  try {
    execFileSync('redis-server', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
const tempDir = tempDirs('noderedis-acl-');
const createHashHex = (s) => createHash('sha256').update(s).digest('hex');

let mine;
let redisProc;
let ours;
let ref;

const connect = (port, options = {}) => {
  const client = new Redis({ port, retryStrategy: () => null, maxRetriesPerRequest: 0, ...options });
  client.on('error', () => {});
  return client;
};

before(async () => {
  mine = await startServer(['--save', '']);
  ours = connect(mine.port);
  if (haveRedis) {
    const port = await freePort();
    redisProc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', tempDir()], { stdio: 'ignore' });
    await waitForPort(port, redisProc);
    ref = connect(port);
  }
});

after(async () => {
  ours?.disconnect();
  ref?.disconnect();
  redisProc?.kill();
  await mine?.stop();
});

/** The reply or the error text. */
const outcome = (promise) => promise.then((v) => v, (e) => `ERR:${e.message}`);

/** Runs the same command on both servers; `normalize` may rewrite the replies before they are compared. */
async function same(args, normalize = (x) => x) {
  const [a, b] = await Promise.all([outcome(ours.call(...args)), outcome(ref.call(...args))]);
  assert.deepEqual(normalize(a), normalize(b), `${args.join(' ')}`);
  return a;
}

// Redis walks its command dictionary in hash order when it lists single commands, so those compare as a set.
const ruleTokens = (line) => {
  const tokens = line.split(' ');
  const singles = tokens.filter((t) => /^[+-][^@]/.test(t)).sort();
  return [tokens.filter((t) => !/^[+-][^@]/.test(t)), singles];
};
const normalizeRules = (reply) => (typeof reply === 'string' ? ruleTokens(reply) : Array.isArray(reply) ? reply.map(normalizeRules) : reply);

test('ACL CAT: every category lists the same commands as Redis, for the commands both have', { skip: !haveRedis }, async () => {
  const names = (info) => new Set(info.flatMap((c) => [c[0], ...c[9].map((s) => s[0])]));
  const [mineAll, refAll] = [names(await ours.command('INFO')), names(await ref.command('INFO'))];
  const categories = await same(['ACL', 'CAT']);
  assert.equal(categories.length, 21);
  for (const category of categories) {
    const [a, b] = await Promise.all([ours.call('ACL', 'CAT', category), ref.call('ACL', 'CAT', category)]);
    assert.deepEqual(a.filter((n) => refAll.has(n)).sort(), b.filter((n) => mineAll.has(n)).sort(), category);
  }
  await same(['ACL', 'CAT', 'nosuch']);
});

test('ACL SETUSER rules read back alike through ACL LIST and GETUSER', { skip: !haveRedis }, async () => {
  const cases = [
    [],
    ['on', '>p1', '>p2', '<p1', '~app:*', '+@read', '+@write'],
    ['on', 'nopass', '+get', '%R~r*', '%W~w*', '%RW~rw*', '&chan*', '(+hget ~h* &x)', '(-@all +set %W~s*)'],
    ['+@all', '-@dangerous', '-flushall', 'allkeys', 'allchannels'],
    ['-@all', '+@hash', '+@string', '-hget', '+client|id', '+select|0', 'resetchannels', '&a', '&b'],
    ['allcommands', '-config|set', '~a', '~a', '%R~a'],
    ['#' + 'a'.repeat(64), 'on', 'skip-sanitize-payload'],
    ['reset', '+@all', 'nocommands', '+@hash', '+@list', '-@slow'],
    ['(~x +get)', 'clearselectors', '+ping'],
    ['(~x', '+get)', '~y'],
  ];
  let n = 0;
  for (const rules of cases) {
    const name = `user${n++}`;
    await same(['ACL', 'SETUSER', name, ...rules]);
    await same(['ACL', 'GETUSER', name], normalizeRules);
  }
  await same(['ACL', 'LIST'], normalizeRules);
  await same(['ACL', 'USERS']);
  await same(['ACL', 'DELUSER', ...Array.from({ length: n }, (_, i) => `user${i}`), 'nosuch']);
});

test('ACL errors have Redis texts', { skip: !haveRedis }, async () => {
  const bad = [
    ['x', 'bad'], ['x', '+nosuch'], ['x', '+@nosuch'], ['x', '~*', '~foo'], ['x', '&*', '&foo'], ['x', '<nopw'], ['x', '#abc'],
    ['x', '(+get ~x'], ['x', '+config|get|x'], ['x', '+get|'], ['x', '(on)'], ['x', '%X~a'], ['a b'], ['x', '~a b'],
  ];
  for (const args of bad) await same(['ACL', 'SETUSER', ...args]);
  await same(['ACL', 'GETUSER', 'x']);
  for (const args of [['DELUSER', 'default'], ['GENPASS', '0'], ['GENPASS', '5000'], ['GENPASS', 'x'], ['LOG', 'x'], ['LOAD'], ['SAVE'], ['nosuch'], ['CAT', 'a', 'b'], ['HELP']]) {
    await same(['ACL', ...args]);
  }
  assert.match(await ours.call('ACL', 'GENPASS'), /^[0-9a-f]{64}$/);
  assert.match(await ours.call('ACL', 'GENPASS', '5'), /^[0-9a-f]{2}$/);
});

test('ACL DRYRUN answers as Redis', { skip: !haveRedis }, async () => {
  await same(['ACL', 'SETUSER', 'dry', 'on', 'nopass', '+get', '+set', '+publish', '%R~r*', '%W~w*', '&chan*', '(+hget ~h*)']);
  for (const cmd of [['get', 'rx'], ['get', 'wx'], ['set', 'wx', '1'], ['set', 'rx', '1'], ['hget', 'hx', 'f'], ['hget', 'x', 'f'], ['lpush', 'x', 'f'],
    ['publish', 'chanx', 'm'], ['publish', 'x', 'm'], ['nosuch', 'x'], ['get'], ['config', 'get', 'x'], ['config']]) {
    await same(['ACL', 'DRYRUN', 'dry', ...cmd]);
  }
  await same(['ACL', 'DRYRUN', 'nosuch', 'get', 'x']);
  await same(['ACL', 'DELUSER', 'dry']);
});

/** ACL LOG entries without the fields that differ between servers by nature (time, client details). */
const logEntries = (entries) => entries.map((e) => {
  const m = Object.fromEntries(Array.from({ length: e.length / 2 }, (_, i) => [e[2 * i], e[2 * i + 1]]));
  return [m.count, m.reason, m.context, m.object, m.username, / user=(\S+)/.exec(m['client-info'])?.[1]];
});

test('a restricted user: commands, keys and channels refused as in Redis, with the same ACL LOG', { skip: !haveRedis }, async (t) => {
  const rules = ['on', '>pw', '~app:*', '+@read', '+@write', '&news', '+subscribe', '+psubscribe', '+publish', '+multi', '+exec', '+eval', '+client|list'];
  for (const admin of [ours, ref]) {
    await admin.call('ACL', 'SETUSER', 'app', ...rules);
    await admin.call('ACL', 'LOG', 'RESET');
  }
  const users = [connect(mine.port, { username: 'app', password: 'pw' }), connect(ref.options.port, { username: 'app', password: 'pw' })];
  t.after(() => users.forEach((u) => u.disconnect()));
  const script = (body) => ['EVAL', body, '0'];
  const lines = [
    ['GET', 'app:1'], ['GET', 'other'], ['SET', 'app:1', 'v'], ['SET', 'other', 'v'], ['MGET', 'app:1', 'other'], ['CONFIG', 'GET', 'port'],
    ['PUBLISH', 'news', 'm'], ['PUBLISH', 'other', 'm'], ['ACL', 'WHOAMI'],
    script("return redis.call('get','other')"), script("return redis.call('config','get','x')"), script("return redis.pcall('get','other')"),
    script("return redis.acl_check_cmd('get','other')"), script("return redis.acl_check_cmd('get','app:1')"),
    script("return redis.acl_check_cmd('nosuch')"),
    ['AUTH', 'app', 'wrong'], ['AUTH', 'nosuch', 'x'],
  ];
  for (const line of lines) {
    const [a, b] = await Promise.all(users.map((u) => outcome(u.call(...line))));
    assert.deepEqual(a, b, line.join(' '));
  }
  // A refusal while queueing aborts the transaction.
  for (const line of [['MULTI'], ['GET', 'other'], ['INCR', 'app:n'], ['EXEC']]) {
    const [a, b] = await Promise.all(users.map((u) => outcome(u.call(...line))));
    assert.deepEqual(a, b, line.join(' '));
  }
  const [a, b] = await Promise.all(users.map((u) => outcome(u.call('PSUBSCRIBE', 'other*'))));
  assert.deepEqual(a, b);
  assert.match((await ours.call('CLIENT', 'LIST')), / user=app /);
  assert.deepEqual(logEntries(await ours.call('ACL', 'LOG')), logEntries(await ref.call('ACL', 'LOG')));
  assert.deepEqual(logEntries(await ours.call('ACL', 'LOG', '2')), logEntries(await ref.call('ACL', 'LOG', '2')));
});

test('EXEC refuses a queued command the rules no longer allow, as Redis', { skip: !haveRedis }, async (t) => {
  const results = [];
  for (const admin of [ours, ref]) {
    await admin.call('ACL', 'SETUSER', 'tx', 'on', '>pw', 'allkeys', '+@all');
    const user = connect(admin.options.port, { username: 'tx', password: 'pw' });
    t.after(() => user.disconnect());
    await user.call('MULTI');
    await user.call('SET', 'k', 'v');
    await user.call('GET', 'k');
    await admin.call('ACL', 'SETUSER', 'tx', '-get');
    results.push(await user.exec().then((r) => r.map(([e, v]) => (e ? `ERR:${e.message}` : v)), (e) => `ERR:${e.message}`));
  }
  assert.deepEqual(results[0], results[1]);
  assert.match(results[0][1], /NOPERM ACLs rules changed/);
});

test('node-redis with a restricted user', async (t) => {
  await ours.call('ACL', 'SETUSER', 'nr', 'on', '>secret', '~nr:*', '+@read', '+@write', '+@connection', '&nr:*', '+subscribe', '+publish');
  const client = createClient({ socket: { port: mine.port }, username: 'nr', password: 'secret' });
  client.on('error', () => {});
  await client.connect();
  t.after(() => client.disconnect());
  assert.equal(await client.set('nr:a', '1'), 'OK');
  assert.equal(await client.get('nr:a'), '1');
  await assert.rejects(client.get('other'), /NOPERM this user has no permissions to access one of the keys used as arguments/);
  await assert.rejects(client.configGet('port'), /NOPERM this user has no permissions to run the 'config\|get' command/);
  await assert.rejects(client.publish('elsewhere', 'x'), /NOPERM this user has no permissions to access one of the channels used as arguments/);
  assert.equal(await client.publish('nr:chan', 'x'), 0);
  assert.equal(await client.sendCommand(['ACL', 'WHOAMI']).catch((e) => e.message), "NOPERM this user has no permissions to run the 'acl|whoami' command");
  const bad = createClient({ socket: { port: mine.port, reconnectStrategy: false }, username: 'nr', password: 'nope' });
  bad.on('error', () => {});
  await assert.rejects(bad.connect(), /WRONGPASS invalid username-password pair or user is disabled\./);
});

test('HELLO 3 AUTH, AUTH, CLIENT KILL USER and deleting or narrowing a user disconnect as in Redis', async (t) => {
  await ours.call('ACL', 'SETUSER', 'h', 'on', '>pw', 'allkeys', '+@all', 'allchannels');
  const raw = await replyConnection(mine.port);
  t.after(() => raw.close());
  assert.match(await raw.command('HELLO', '3', 'AUTH', 'h', 'pw'), /^%7\r\n\$6\r\nserver\r\n/);
  assert.equal(await raw.command('ACL', 'WHOAMI'), '$1\r\nh\r\n');
  assert.equal(await raw.command('HELLO', '3', 'AUTH', 'h', 'bad'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  assert.equal(await ours.call('CLIENT', 'KILL', 'USER', 'h'), 1);
  assert.equal(await outcome(ours.call('CLIENT', 'KILL', 'USER', 'nosuch')), "ERR:ERR No such user 'nosuch'");

  const victim = connect(mine.port, { username: 'h', password: 'pw' });
  await victim.ping();
  const closed = new Promise((resolve) => victim.once('close', resolve));
  assert.equal(await ours.call('ACL', 'DELUSER', 'h', 'nosuch'), 1);
  await closed;

  await ours.call('ACL', 'SETUSER', 's', 'on', '>pw', '+@all', 'resetchannels', '&a*', '&b');
  const subscriber = connect(mine.port, { username: 's', password: 'pw' });
  await subscriber.subscribe('a1');
  const gone = new Promise((resolve) => subscriber.once('close', resolve));
  // Still allowed: nothing happens.
  await ours.call('ACL', 'SETUSER', 's', '&c');
  assert.equal(subscriber.status, 'ready');
  await ours.call('ACL', 'SETUSER', 's', 'resetchannels', '&b');
  await gone;
  await ours.call('ACL', 'DELUSER', 's');
});

test('requirepass is the default user password; a disabled default user refuses new connections', async (t) => {
  await ours.call('CONFIG', 'SET', 'requirepass', 'topsecret');
  t.after(async () => {
    await ours.call('ACL', 'SETUSER', 'default', 'on', 'nopass');
    await ours.call('CONFIG', 'SET', 'requirepass', '');
  });
  const user = await ours.call('ACL', 'GETUSER', 'default');
  assert.deepEqual(user[3], [createHashHex('topsecret')]);
  const fresh = await replyConnection(mine.port);
  t.after(() => fresh.close());
  assert.equal(await fresh.command('GET', 'x'), '-NOAUTH Authentication required.\r\n');
  assert.equal(await fresh.command('AUTH', 'topsecret'), '+OK\r\n');
  assert.equal(await fresh.command('AUTH', 'default', 'topsecret'), '+OK\r\n');
  await ours.call('CONFIG', 'SET', 'requirepass', '');
  assert.equal(
    await fresh.command('AUTH', 'x'),
    '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n',
  );
  // A disabled default user: new connections must authenticate as someone else.
  await ours.call('ACL', 'SETUSER', 'default', 'off');
  const refused = await replyConnection(mine.port);
  t.after(() => refused.close());
  assert.equal(await refused.command('PING'), '-NOAUTH Authentication required.\r\n');
});

/** The resident memory of process `pid` in kB. */
const rssKb = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);

test('wrong passwords in a loop keep ACL LOG within acllog-max-len; memory stays bounded and others are served', async (t) => {
  await ours.call('CONFIG', 'SET', 'acllog-max-len', '5');
  await ours.call('ACL', 'LOG', 'RESET');
  const attackers = Array.from({ length: 10 }, () => connect(mine.port));
  t.after(() => attackers.forEach((a) => a.disconnect()));
  const rssBefore = rssKb(mine.proc.pid);
  const served = [];
  let wrong = 0;
  for (let round = 0; round < 10; round++) {
    const tries = [];
    for (const [n, attacker] of attackers.entries()) {
      // Distinct names make distinct entries; Redis keeps only the newest acllog-max-len.
      for (let i = 0; i < 100; i++) tries.push(outcome(attacker.call('AUTH', `user${round}-${n}-${i % 20}`, `wrong${i}`)));
    }
    served.push(ours.ping());
    const results = await Promise.all(tries);
    wrong += results.filter((r) => r === 'ERR:WRONGPASS invalid username-password pair or user is disabled.').length;
  }
  for (let i = 0; i < 100; i++) await outcome(attackers[0].call('AUTH', 'same', 'wrong'));
  assert.equal(wrong, 10_000);
  assert.deepEqual(await Promise.all(served), Array(10).fill('PONG'));
  const log = logEntries(await ours.call('ACL', 'LOG', '100'));
  assert.equal(log.length, 5);
  assert.deepEqual(log[0].slice(0, 5), [100, 'auth', 'toplevel', 'AUTH', 'same']);
  assert.ok(rssKb(mine.proc.pid) - rssBefore < 20_000, `RSS ${rssBefore} -> ${rssKb(mine.proc.pid)} kB`);
  await ours.call('CONFIG', 'SET', 'acllog-max-len', '128');
});

test('aclfile: loaded at start, ACL SAVE and ACL LOAD round trip, bad files refused naming the line', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'users.acl');
  writeFileSync(file, 'user default on nopass ~* &* +@all\nuser alice on #' + createHashHex('pw') + ' ~a:* resetchannels -@all +get\n');
  const port = await freePort();
  const server = launch(['--port', String(port), '--dir', dir, '--aclfile', 'users.acl', '--save', '']);
  await server.ready(port);
  t.after(() => server.stop());
  const admin = connect(port);
  t.after(() => admin.disconnect());
  assert.deepEqual(await admin.call('ACL', 'USERS'), ['alice', 'default']);
  const alice = connect(port, { username: 'alice', password: 'pw' });
  assert.equal(await alice.get('a:1'), null);
  await admin.call('ACL', 'SETUSER', 'bob', 'on', '>x', '~b*', '+@string');
  assert.equal(await admin.call('ACL', 'SAVE'), 'OK');
  const saved = readFileSync(file, 'latin1');
  assert.deepEqual(saved.trimEnd().split('\n'), await admin.call('ACL', 'LIST'));
  // Loading replaces the users: alice's connection goes with her old definition.
  const closed = new Promise((resolve) => alice.once('close', resolve));
  writeFileSync(file, saved.replace(/user bob .*\n/, 'user carol on nopass ~* +@all\n'));
  assert.equal(await admin.call('ACL', 'LOAD'), 'OK');
  await closed;
  assert.deepEqual(await admin.call('ACL', 'USERS'), ['alice', 'carol', 'default']);
  writeFileSync(file, 'user carol on nopass +nosuch\nbogus line\nuser dup on\nuser dup off\n');
  assert.equal(
    await outcome(admin.call('ACL', 'LOAD')),
    "ERR:ERR users.acl:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. users.acl:2 should start with user keyword followed by the username. WARNING: Duplicate user 'dup' found on line 4. WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
  );
  assert.deepEqual(await admin.call('ACL', 'USERS'), ['alice', 'carol', 'default']);
});

test('startup: bad aclfile, user lines with an aclfile, bad user lines and rename-command', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'bad.acl'), 'user x on badrule\n');
  const bad = launch(['--port', String(await freePort()), '--dir', dir, '--aclfile', 'bad.acl']);
  assert.equal(await bad.exited, 1);
  assert.match(bad.output(), /Aborting Redis startup because of ACL errors: bad.acl:1: Syntax error\. WARNING: ACL errors detected/);

  const conf = join(dir, 'both.conf');
  writeFileSync(conf, `aclfile ${join(dir, 'bad.acl')}\nuser alice on\n`);
  const both = launch([conf, '--port', String(await freePort())]);
  assert.equal(await both.exited, 1);
  assert.match(both.output(), /Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid/);

  const badUser = join(dir, 'baduser.conf');
  writeFileSync(badUser, 'user alice on badrule\n');
  const rejected = launch([badUser, '--port', String(await freePort())]);
  assert.equal(await rejected.exited, 1);
  assert.match(rejected.output(), /line 1\n>>> 'user alice on badrule'\nError in user declaration 'alice': Syntax error/);

  const renames = join(dir, 'rename.conf');
  writeFileSync(renames, 'rename-command flushall ""\nrename-command get fetch\nuser app on nopass ~* +get\n');
  const port = await freePort();
  const renamed = launch([renames, '--port', String(port), '--save', '']);
  await renamed.ready(port);
  const client = connect(port);
  try {
    await client.set('k', 'v');
    assert.equal(await client.call('FETCH', 'k'), 'v');
    assert.match(await outcome(client.call('GET', 'k')), /unknown command 'GET'/);
    assert.match(await outcome(client.call('FLUSHALL')), /unknown command 'FLUSHALL'/);
    // ACL rules keep the original names; DRYRUN looks the command up as typed, as Redis does.
    assert.equal(await client.call('ACL', 'DRYRUN', 'app', 'fetch', 'k'), 'OK');
    assert.equal(await outcome(client.call('ACL', 'DRYRUN', 'app', 'get', 'k')), "ERR:ERR Command 'get' not found");
  } finally {
    client.disconnect();
    await renamed.stop();
  }
  const unknown = join(dir, 'unknown.conf');
  writeFileSync(unknown, 'rename-command nosuch other\n');
  const failed = launch([unknown, '--port', String(await freePort())]);
  assert.equal(await failed.exited, 1);
  assert.match(failed.output(), /No such command in rename-command/);
});

test('CONFIG REWRITE writes the users as they are now in place of the file\'s user lines, as redis-server does', { skip: !haveRedis }, async () => {
  const rewritten = async (redis) => {
    const dir = tempDir();
    const file = join(dir, 'redis.conf');
    writeFileSync(file, ['port 0', 'user  alice   on >pw ~* +@all', '# between', 'user bob on nopass +get ~k*', 'save ""', ''].join('\n'));
    const port = await freePort();
    const args = [file, '--port', String(port), '--dir', dir];
    const proc = redis ? spawn('redis-server', args, { stdio: 'ignore' }) : launch(args).proc;
    try {
      await waitForPort(port, proc);
      const conn = await replyConnection(port);
      await conn.command('ACL', 'SETUSER', 'carol', 'on', '>x', '+@read', '~c:*');
      await conn.command('ACL', 'DELUSER', 'bob');
      await conn.command('ACL', 'SETUSER', 'alice', '-@dangerous');
      assert.equal(await conn.command('CONFIG', 'REWRITE'), '+OK\r\n');
      conn.close();
      return readFileSync(file, 'latin1').split('\n').filter((line) => line.startsWith('user ') || line === '# between');
    } finally {
      proc.kill('SIGKILL');
    }
  };
  const expected = await rewritten(true);
  assert.deepEqual(await rewritten(false), expected);
  assert.ok(expected.some((line) => line.startsWith('user carol ')), String(expected));
});
