// The Lua debugger (SCRIPT DEBUG YES|SYNC, redis-cli --ldb): exact bytes of
// its protocol as Redis 7.0.15 sends them. TEST_TARGET=redis runs the same
// expectations against redis-server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { exchange, HAVE_REDIS, rawConnect, resp, startServer } from './helpers.mjs';

/** A status-line array, as the debugger sends its logs. */
const logs = (...lines) => `*${lines.length}\r\n` + lines.map((l) => `+${l}\r\n`).join('');

/** Raw connections of the running test: closed before its server stops, which waits for a debugging session to end. */
let open = [];

async function serverWith(t) {
  const server = await startServer();
  const client = new Redis({ port: server.port });
  t.after(async () => {
    for (const conn of open.splice(0)) conn.close();
    client.disconnect();
    await server.stop();
  });
  return { server, client };
}

async function connect(port) {
  const conn = await rawConnect(port);
  open.push(conn);
  return conn;
}

/** A raw connection in debug mode `mode` that has sent EVAL of `script` and read its first stop. */
async function debugging(t, port, mode, script, firstStop, ...evalArgs) {
  const conn = await connect(port);
  await exchange(conn, [['SCRIPT', 'DEBUG', mode]], '+OK\r\n');
  await exchange(conn, [['EVAL', script, ...(evalArgs.length ? evalArgs : ['0'])]], firstStop);
  return conn;
}

const SCRIPT = 'local a = 1\nlocal b = redis.call("set","x",a)\nreturn a\n';

test('SCRIPT DEBUG SYNC steps line by line, traces commands, ends the session and keeps the changes', async (t) => {
  const { server, client } = await serverWith(t);
  const conn = await debugging(t, server.port, 'SYNC', SCRIPT, logs('* Stopped at 1, stop reason = step over', '-> 1   local a = 1'));
  await exchange(conn, [['s']], logs('* Stopped at 2, stop reason = step over', '-> 2   local b = redis.call("set","x",a)'));
  await exchange(conn, [['next']], logs('<redis> set x 1', '<reply> "+OK"', '* Stopped at 3, stop reason = step over', '-> 3   return a'));
  await exchange(conn, [['s']], logs('<endsession>') + ':1\r\n');
  await conn.waitClosed();
  assert.equal(await client.get('x'), '1');
});

test('SCRIPT DEBUG YES rolls the dataset back after the session', async (t) => {
  const { server, client } = await serverWith(t);
  await client.set('x', 'before');
  const conn = await debugging(t, server.port, 'YES', 'redis.call("set","x","during")\nredis.call("set","y","new")\nreturn redis.call("get","x")', logs('* Stopped at 1, stop reason = step over', '-> 1   redis.call("set","x","during")'));
  await exchange(conn, [['c']], logs('<endsession>') + '$6\r\nduring\r\n');
  await conn.waitClosed();
  assert.equal(await client.get('x'), 'before');
  assert.equal(await client.exists('y'), 0);
});

test('functions, loops and breakpoints stop where Lua 5.1 does', async (t) => {
  const { server } = await serverWith(t);
  const script = 'local function f(x)\n  local y = x * 2\n  return y\nend\nlocal t = {}\nfor i=1,2 do t[i] = f(i) end\nredis.debug("t is", t)\nredis.breakpoint()\nlocal z = 1\nreturn #t';
  const conn = await debugging(t, server.port, 'SYNC', script, logs('* Stopped at 4, stop reason = step over', '-> 4   end'));
  await exchange(conn, [['b', '9']], logs('   8   redis.breakpoint()', '  #9   local z = 1', '   10  return #t'));
  await exchange(conn, [['b', '9']], logs('Wrong line number.'));
  await exchange(conn, [['b', 'x', '-5', '0']], logs("Invalid argument:'x'", 'No breakpoint in the specified line.', 'All breakpoints removed.'));
  await exchange(conn, [['b', '3']], logs('   2     local y = x * 2', '  #3     return y', '-> 4   end'));
  await exchange(conn, [['c']], logs('* Stopped at 3, stop reason = break point', '->#3     return y'));
  await exchange(conn, [['print']], logs('<value> x = 1', '<value> y = 2'));
  await exchange(conn, [['p', 't']], logs('<value> {}'));
  await exchange(conn, [['t']], logs('In f:', '->#3     return y', 'From top level:', '   6   for i=1,2 do t[i] = f(i) end'));
  await exchange(conn, [['b', '-3']], logs('Breakpoint removed.'));
  await exchange(conn, [['c']], logs('<debug> line 7: "t is", {2; 4}', '* Stopped at 9, stop reason = redis.breakpoint() called', '-> 9   local z = 1'));
  await exchange(conn, [['p', 'ARGV']], logs('<value> {}'));
  await exchange(conn, [['p', 'nope']], logs('No such variable.'));
  await exchange(conn, [['l', '2', '1']], logs('   1   local function f(x)', '   2     local y = x * 2', '   3     return y'));
  await exchange(conn, [['c']], logs('<endsession>') + ':2\r\n');
});

test('a statement that spans lines stops on each line Lua runs code on, and print shows shadowed locals', async (t) => {
  const { server } = await serverWith(t);
  const script = "local a = 1\nlocal a = 2\nredis.call('set',\n  'x',\n  a)\nlocal t = {\n  1,\n  2,\n}\nlocal z = a +\n  1\nreturn #t + z";
  const conn = await debugging(t, server.port, 'SYNC', script, logs('* Stopped at 1, stop reason = step over', '-> 1   local a = 1'));
  await exchange(conn, [['s']], logs('* Stopped at 2, stop reason = step over', '-> 2   local a = 2'));
  await exchange(conn, [['s']], logs('* Stopped at 3, stop reason = step over', "-> 3   redis.call('set',"));
  // Both a's are active locals, the first one shadowed; print by name finds the first, as Redis's does.
  await exchange(conn, [['print']], logs('<value> a = 1', '<value> a = 2'));
  await exchange(conn, [['p', 'a']], logs('<value> 1'));
  // An argument is loaded on the line of the token after it, then the call runs on its first line.
  await exchange(conn, [['s']], logs('* Stopped at 4, stop reason = step over', "-> 4     'x',"));
  await exchange(conn, [['s']], logs('* Stopped at 5, stop reason = step over', '-> 5     a)'));
  await exchange(conn, [['s']], logs('* Stopped at 3, stop reason = step over', "-> 3   redis.call('set',"));
  await exchange(conn, [['s']], logs('<redis> set x 2', '<reply> "+OK"', '* Stopped at 6, stop reason = step over', '-> 6   local t = {'));
  await exchange(conn, [['s']], logs('* Stopped at 7, stop reason = step over', '-> 7     1,'));
  // Line 8 runs no code (its value is loaded at the closing brace), so its breakpoint is never hit.
  await exchange(conn, [['b', '8', '11']], logs('-> 7     1,', '  #8     2,', '   9   }', '   10  local z = a +', '  #11    1', '   12  return #t + z'));
  await exchange(conn, [['c']], logs('* Stopped at 11, stop reason = break point', '->#11    1'));
  await exchange(conn, [['c']], logs('<endsession>') + ':5\r\n');
});

test('returning a library call split over lines stops on the line the return ends, after the call', async (t) => {
  const { server } = await serverWith(t);
  const script = "local function f(k)\n  return redis.call('set',\n    k, '1')\nend\nreturn f('x')";
  const conn = await debugging(t, server.port, 'SYNC', script, logs('* Stopped at 4, stop reason = step over', '-> 4   end'));
  await exchange(conn, [['s']], logs('* Stopped at 5, stop reason = step over', "-> 5   return f('x')"));
  await exchange(conn, [['s']], logs('* Stopped at 2, stop reason = step over', "-> 2     return redis.call('set',"));
  await exchange(conn, [['s']], logs('* Stopped at 3, stop reason = step over', "-> 3       k, '1')"));
  await exchange(conn, [['s']], logs('* Stopped at 2, stop reason = step over', "-> 2     return redis.call('set',"));
  // Lua runs the RETURN after a tail call of a C function (not of a Lua one, which ends the frame).
  await exchange(conn, [['s']], logs('<redis> set x 1', '<reply> "+OK"', '* Stopped at 3, stop reason = step over', "-> 3       k, '1')"));
  await exchange(conn, [['s']], logs('<endsession>') + '+OK\r\n');
});

test('eval, redis, maxlen, help and unknown commands answer as Redis', async (t) => {
  const { server } = await serverWith(t);
  const conn = await debugging(t, server.port, 'SYNC', 'local s = string.rep("x", 100)\nreturn 1', logs('* Stopped at 1, stop reason = step over', '-> 1   local s = string.rep("x", 100)'));
  await exchange(conn, [['e', '1+1']], logs('<retval> 2'));
  await exchange(conn, [['e', '{1,"a",{k=0.5}}']], logs('<retval> {1; "a"; {["k"]=0.5}}'));
  await exchange(conn, [['e', 'nope']], logs("<error> ldb_eval:1: Script attempted to access nonexistent global variable 'nope'"));
  await exchange(conn, [['e', '(']], logs("<error> ldb_eval:1: unexpected symbol near '<eof>'"));
  await exchange(conn, [['r', 'hset', 'h', 'a', '1']], logs('<redis> hset h a 1', '<reply> 1'));
  await exchange(conn, [['r', 'hgetall', 'h']], logs('<redis> hgetall h', '<reply> ["a","1"]'));
  await exchange(conn, [['r', 'set', 'y']], logs('<redis> set y', '<error> Wrong number of args calling Redis command from script'));
  await exchange(conn, [['redis']], logs('<error> Unknown Redis Lua debugger command or wrong number of arguments.'));
  await exchange(conn, [['s']], logs('* Stopped at 2, stop reason = step over', '-> 2   return 1'));
  await exchange(conn, [['m', '10']], logs('<value> replies are truncated at 60 bytes.'));
  await exchange(conn, [['p', 's']], logs(`<value> "${'x'.repeat(51)} ...`));
  await exchange(conn, [['m', '0']], logs('<value> replies are unlimited.'));
  conn.write(resp('h'));
  const help = await conn.readUntil('next line of code.\r\n');
  assert.match(help, /^\*30\r\n\+Redis Lua debugger help:\r\n/);
  await exchange(conn, [['a']], logs('<endsession>') + '-ERR script aborted for user request script: ' + sha1('local s = string.rep("x", 100)\nreturn 1') + ', on @user_script:2.\r\n');
});

const sha1 = (body) => createHash('sha1').update(body).digest('hex');

test('the errors of SCRIPT DEBUG and of EVALSHA while debugging', async (t) => {
  const { server } = await serverWith(t);
  const conn = await connect(server.port);
  await exchange(conn, [['SCRIPT', 'DEBUG', 'maybe']], '-ERR Use SCRIPT DEBUG YES/SYNC/NO\r\n');
  await exchange(conn, [['PING'], ['SCRIPT', 'DEBUG', 'YES']], '+PONG\r\n-ERR SCRIPT DEBUG must be called outside a pipeline\r\n');
  await exchange(conn, [['MULTI'], ['SCRIPT', 'DEBUG', 'NO'], ['EXEC']], '+OK\r\n+QUEUED\r\n*1\r\n-ERR SCRIPT DEBUG must be called outside a pipeline\r\n');
  await exchange(conn, [['EVAL', 'return redis.pcall("script","debug","yes")', '0']], '-ERR This Redis command is not allowed from script\r\n');
  await exchange(conn, [['SCRIPT', 'DEBUG', 'SYNC']], '+OK\r\n');
  await exchange(conn, [['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0']], '-ERR Please use EVAL instead of EVALSHA for debugging\r\n');
  await exchange(conn, [['EVALSHA', 'short', '0']], '-NOSCRIPT No matching script. Please use EVAL.\r\n');
  await exchange(conn, [['SCRIPT', 'DEBUG', 'NO']], '+OK\r\n');
  await exchange(conn, [['EVAL', 'return {redis.breakpoint(), redis.debug(1)}', '0']], '*1\r\n$-1\r\n');
});

test('a script that does not compile still ends its session', async (t) => {
  const { server } = await serverWith(t);
  const conn = await connect(server.port);
  await exchange(conn, [['SCRIPT', 'DEBUG', 'YES']], '+OK\r\n');
  await exchange(conn, [['EVAL', 'return +', '0']],
    logs('<endsession>') + "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'\r\n");
  await conn.waitClosed();
});

test('debugger commands are parsed as Redis parses them (the suite\'s protocol tests)', async (t) => {
  const { server, client } = await serverWith(t);
  const conn = await debugging(t, server.port, 'SYNC', "return 'hello'", logs('* Stopped at 1, stop reason = step over', "-> 1   return 'hello'"));
  for (const name of ['hello\0world', 'hello\0', '\0hello', '\0hello\0']) {
    await exchange(conn, [[name]], logs('<error> Unknown Redis Lua debugger command or wrong number of arguments.'));
  }
  await exchange(conn, [['redis', ...Array(100).fill('test')]], logs('<redis> test test test test test test test test test test ... (89 more)', '<error> Unknown Redis command called from script'));
  // Not an array: a protocol error, which ends the script.
  conn.write('PING\r\n');
  assert.match(await conn.readUntil('\r\n', 2000).then(async (first) => first + (await conn.readUntil('.\r\n'))), /<endsession>.*-ERR protocol error script: .*, on @user_script:1\./s);
  assert.equal(await client.ping(), 'PONG');
});

test('when the debugging client goes away the script runs to its end', async (t) => {
  const { server, client } = await serverWith(t);
  const conn = await debugging(t, server.port, 'SYNC', 'redis.call("set","a","1")\nredis.call("set","b","2")\nreturn 1', logs('* Stopped at 1, stop reason = step over', '-> 1   redis.call("set","a","1")'));
  conn.close();
  assert.equal(await client.get('b'), '2');
});

test('a looping script stops in the debugger past the time limit instead of going BUSY', async (t) => {
  const { server, client } = await serverWith(t);
  await client.config('SET', 'busy-reply-threshold', '100');
  const conn = await debugging(t, server.port, 'SYNC', 'local i = 0\nwhile true do\n  i = i + 1\nend', logs('* Stopped at 1, stop reason = step over', '-> 1   local i = 0'));
  conn.write(resp('c'));
  assert.match(await conn.readUntil('i = i + 1\r\n'), /stop reason = timeout reached, infinite loop\?/);
  conn.write(resp('a'));
  assert.match(await conn.readUntil('.\r\n'), /<endsession>\r\n-ERR script aborted for user request/);
});

test('redis-cli --ldb --eval runs a script file in the debugger', { skip: !HAVE_REDIS && 'redis-cli is not installed' }, async (t) => {
  const { server, client } = await serverWith(t);
  const dir = mkdtempSync(join(tmpdir(), 'ldb-'));
  const file = join(dir, 'script.lua');
  writeFileSync(file, 'local a = redis.call("set", KEYS[1], ARGV[1])\nredis.debug("a is", a)\nreturn redis.call("get", KEYS[1])\n');
  const run = (mode) =>
    new Promise((resolve, reject) => {
      const child = execFile('redis-cli', ['-p', String(server.port), '--no-raw', mode, '--eval', file, 'k', ',', 'v'], (error, stdout) => (error ? reject(error) : resolve(stdout.replace(/\x1b\[[0-9;]*m/g, ''))));
      child.stdin.end('s\nprint\nc\n');
    });
  const forked = await run('--ldb');
  assert.match(forked, /<redis> set k v\n<reply> "\+OK"\n\* Stopped at 2, stop reason = step over\n-> 2   redis.debug\("a is", a\)\n<value> a = \{\["ok"\]="OK"\}\n<debug> line 2: "a is", \{\["ok"\]="OK"\}\n\n"v"\n\n\(Lua debugging session ended -- dataset changes rolled back\)/);
  assert.equal(await client.exists('k'), 0);
  const sync = await run('--ldb-sync-mode');
  assert.match(sync, /\(Lua debugging session ended\)/);
  assert.equal(await client.get('k'), 'v');
});
