// Server administration: INFO, CONFIG, COMMAND, TIME/LASTSAVE, SLOWLOG, LATENCY,
// MONITOR, CLIENT, DEBUG, SHUTDOWN, and startup configuration.
// Every expectation is what Redis 7.0.15 replies (check with TEST_TARGET=redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, HAVE_REDIS, launch, MAIN, rawConnect, resp, SERVER_NODE_FLAGS, startRedis, startServer, useServer, sleep, waitForPort } from './helpers.mjs';

let server;
let r;

const SYNTAX = { message: 'ERR syntax error' };
const sorted = (list) => [...list].sort();

useServer([], (s, client) => {
  server = s;
  r = client;
});

/** INFO text as { sectionTitle: { field: value } }, plus the ordered section titles. */
function parseInfo(text) {
  const sections = {};
  const order = [];
  let current;
  for (const line of text.split('\r\n')) {
    if (line.startsWith('# ')) {
      current = line.slice(2);
      order.push(current);
      sections[current] = {};
    } else if (line !== '') {
      const i = line.indexOf(':');
      sections[current][line.slice(0, i)] = line.slice(i + 1);
    }
  }
  return { sections, order };
}

/** A flat [k1, v1, k2, v2] reply as an object. */
function pairs(flat) {
  const out = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'noderedis-test-'));
}

// ---------------------------------------------------------------- INFO

test('INFO without arguments shows the default sections in order', async () => {
  const { order } = parseInfo(await r.info());
  assert.deepEqual(order, [
    'Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Modules', 'Errorstats', 'Cluster', 'Keyspace',
  ]);
  const { order: defaultOrder } = parseInfo(await r.call('INFO', 'default'));
  assert.deepEqual(defaultOrder, order);
});

test('INFO sections list the fields redis-server lists, in its order (server adds ours after its own names)', { skip: !HAVE_REDIS }, async () => {
  const redis = await startRedis();
  try {
    const bulk = (raw) => raw.slice(raw.indexOf('\r\n') + 2);
    const names = (text) => text.split('\r\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => line.slice(0, line.indexOf(':')));
    for (const section of ['clients', 'memory', 'persistence', 'stats', 'replication', 'cpu']) {
      const theirs = names(bulk(await redis.conn.command('INFO', section)));
      assert.deepEqual(names(await r.info(section)), theirs, section);
    }
    const ours = names(await r.info('server'));
    for (const name of names(bulk(await redis.conn.command('INFO', 'server')))) assert.ok(ours.includes(name), `server: ${name}`);
  } finally {
    redis.stop();
  }
});

test('INFO stats counts reads and writes, and instantaneous_*_kbps follow the traffic', async () => {
  const before = parseInfo(await r.info('stats')).sections.Stats;
  for (let i = 0; i < 20; i++) await r.set('k', 'x'.repeat(10_000));
  await sleep(300);
  const after = parseInfo(await r.info('stats')).sections.Stats;
  assert.ok(Number(after.total_reads_processed) >= Number(before.total_reads_processed) + 20);
  assert.ok(Number(after.total_writes_processed) >= Number(before.total_writes_processed) + 20);
  assert.ok(Number(after.instantaneous_input_kbps) > 0, after.instantaneous_input_kbps);
  assert.equal(after.total_net_repl_output_bytes, '0', 'no replica, no replication traffic');
});

test('INFO everything and INFO all add commandstats and latencystats', async () => {
  const expected = [
    'Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Modules',
    'Commandstats', 'Errorstats', 'Latencystats', 'Cluster', 'Keyspace',
  ];
  assert.deepEqual(parseInfo(await r.call('INFO', 'everything')).order, expected);
  assert.deepEqual(parseInfo(await r.call('INFO', 'all')).order, expected);
});

test('INFO server reports redis_version 7.0.15 and the TCP port', async () => {
  const text = await r.info('server');
  const { sections, order } = parseInfo(text);
  assert.deepEqual(order, ['Server']);
  assert.equal(sections.Server.redis_version, '7.0.15');
  assert.equal(sections.Server.tcp_port, String(server.port));
  assert.equal(sections.Server.redis_mode, 'standalone');
  assert.match(sections.Server.run_id, /^[0-9a-f]{40}$/);
  assert.match(sections.Server.uptime_in_seconds, /^\d+$/);
  assert.match(sections.Server.process_id, /^\d+$/);
  assert.ok(text.startsWith('# Server\r\n'));
  assert.ok(text.endsWith('\r\n'));
});

test('INFO with several sections returns each, case-insensitively', async () => {
  const { order } = parseInfo(await r.call('INFO', 'CLIENTS', 'server'));
  assert.deepEqual(order, ['Server', 'Clients']);
  const { sections } = parseInfo(await r.info('clients'));
  assert.ok(Number(sections.Clients.connected_clients) >= 1);
});

test('INFO of an unknown section is empty', async () => {
  assert.equal(await r.info('nosuchsection'), '');
});

test('INFO keyspace shows one line per non-empty database', async () => {
  assert.equal(await r.info('keyspace'), '# Keyspace\r\n');
  await r.mset('a', '1', 'b', '2');
  await r.call('SET', 'c', '3', 'EX', '1000');
  await r.select(5);
  await r.set('x', '1');
  const text = await r.info('keyspace');
  const lines = text.split('\r\n').filter((l) => l.startsWith('db'));
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^db0:keys=3,expires=1,avg_ttl=\d+$/);
  assert.equal(lines[1], 'db5:keys=1,expires=0,avg_ttl=0');
});

test('INFO commandstats has a cmdstat line per command called', async () => {
  await r.config('RESETSTAT');
  await r.set('a', 'b');
  await r.set('a', 'c');
  await assert.rejects(r.call('SET', 'a', 'b', 'NX', 'XX'), SYNTAX);
  await assert.rejects(r.call('SET', 'a'), { message: "ERR wrong number of arguments for 'set' command" });
  const { sections } = parseInfo(await r.info('commandstats'));
  assert.match(
    sections.Commandstats.cmdstat_set,
    /^calls=3,usec=\d+,usec_per_call=\d+\.\d{2},rejected_calls=1,failed_calls=1$/,
  );
  assert.equal(sections.Commandstats.cmdstat_get, undefined);
  assert.match(sections.Commandstats['cmdstat_config|resetstat'], /^calls=1,/);
});

test('INFO stats counts connections and commands', async () => {
  const { sections } = parseInfo(await r.info('stats'));
  for (const field of ['total_connections_received', 'total_commands_processed', 'expired_keys', 'keyspace_hits', 'keyspace_misses']) {
    assert.match(sections.Stats[field] ?? '', /^\d+$/, field);
  }
});

test('INFO errorstats counts error replies by code', async () => {
  await r.config('RESETSTAT');
  await assert.rejects(r.call('SET', 'a', 'b', 'NX', 'XX'), SYNTAX);
  await assert.rejects(r.call('SET', 'a', 'b', 'EX', '0'));
  const { sections } = parseInfo(await r.info('errorstats'));
  assert.deepEqual(sections.Errorstats, { errorstat_ERR: 'count=2' });
});

// ---------------------------------------------------------------- CONFIG

test('CONFIG GET with a glob pattern returns every matching parameter', async () => {
  const got = pairs(await r.config('GET', 'maxmemory*'));
  assert.deepEqual(got, {
    maxmemory: '0',
    'maxmemory-clients': '0',
    'maxmemory-eviction-tenacity': '10',
    'maxmemory-policy': 'noeviction',
    'maxmemory-samples': '5',
  });
  assert.deepEqual(pairs(await r.config('GET', 'slowlog*')), {
    'slowlog-log-slower-than': '10000',
    'slowlog-max-len': '128',
  });
});

test('CONFIG GET patterns also match alias names', async () => {
  assert.deepEqual(sorted(Object.keys(pairs(await r.config('GET', '*max-*-entries*')))), [
    'hash-max-listpack-entries',
    'hash-max-ziplist-entries',
    'set-max-intset-entries',
    'zset-max-listpack-entries',
    'zset-max-ziplist-entries',
  ]);
});

test('CONFIG GET with several patterns returns each match once', async () => {
  const got = pairs(await r.call('CONFIG', 'GET', 'port', 'databases', 'slowlog-max-len', 'port', 'slowlog*'));
  assert.deepEqual(got, {
    port: String(server.port),
    databases: '16',
    'slowlog-max-len': '128',
    'slowlog-log-slower-than': '10000',
  });
  assert.equal((await r.call('CONFIG', 'GET', 'port', 'port')).length, 2);
});

test('CONFIG GET of an unknown parameter is empty', async () => {
  assert.deepEqual(await r.config('GET', 'nosuchparameter'), []);
  assert.deepEqual(await r.config('GET', 'nosuch*'), []);
});

test('CONFIG GET of an exact name ignores case and echoes the name given', async () => {
  assert.deepEqual(await r.config('GET', 'PORT'), ['PORT', String(server.port)]);
});

test('CONFIG SET changes a parameter', async () => {
  assert.equal(await r.config('SET', 'hz', '20'), 'OK');
  assert.deepEqual(await r.config('GET', 'hz'), ['hz', '20']);
  assert.equal(await r.config('SET', 'hz', '10'), 'OK');
});

test('CONFIG SET sets several pairs at once', async () => {
  assert.equal(await r.call('CONFIG', 'SET', 'maxmemory', '10mb', 'maxmemory-policy', 'allkeys-lru', 'slowlog-max-len', '64'), 'OK');
  assert.deepEqual(pairs(await r.call('CONFIG', 'GET', 'maxmemory', 'maxmemory-policy', 'slowlog-max-len')), {
    maxmemory: '10485760',
    'maxmemory-policy': 'allkeys-lru',
    'slowlog-max-len': '64',
  });
  await r.call('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction', 'slowlog-max-len', '128');
});

test('CONFIG SET is all-or-nothing when one value is invalid', async () => {
  await assert.rejects(r.call('CONFIG', 'SET', 'hz', '30', 'maxmemory', 'bogus'), {
    message: "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
  });
  assert.deepEqual(await r.config('GET', 'hz'), ['hz', '10']);
  await assert.rejects(r.call('CONFIG', 'SET', 'hz', '30', 'nosuchparam', '1'), {
    message: "ERR Unknown option or number of arguments for CONFIG SET - 'nosuchparam'",
  });
  assert.deepEqual(await r.config('GET', 'hz'), ['hz', '10']);
});

test('CONFIG SET of an unknown parameter is refused with its name', async () => {
  await assert.rejects(r.config('SET', 'foo', 'bar'), {
    message: "ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
  });
});

test('CONFIG SET refuses bad values with the reason', async () => {
  await assert.rejects(r.config('SET', 'port', 'abc'), {
    message: "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer",
  });
  await assert.rejects(r.config('SET', 'databases', '5'), {
    message: "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config",
  });
  await assert.rejects(r.config('SET', 'maxmemory-policy', 'bogus'), {
    message:
      "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
  });
  await assert.rejects(r.config('SET', 'proto-max-bulk-len', '1000'), {
    message:
      "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive",
  });
});

test('CONFIG SET of the same parameter twice is refused', async () => {
  await assert.rejects(r.call('CONFIG', 'SET', 'hz', '10', 'hz', '20'), {
    message: "ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter",
  });
});

test('CONFIG SET with a missing value: arity error, or syntax error for an odd pair count', async () => {
  await assert.rejects(r.call('CONFIG', 'SET', 'hz'), { message: "ERR wrong number of arguments for 'config|set' command" });
  await assert.rejects(r.call('CONFIG', 'SET', 'hz', '11', 'maxmemory'), SYNTAX);
  assert.deepEqual(await r.config('GET', 'hz'), ['hz', '10']);
});

test('CONFIG RESETSTAT zeroes command and error statistics', async () => {
  await r.set('a', 'b');
  await assert.rejects(r.call('SET', 'a', 'b', 'NX', 'XX'));
  assert.equal(await r.config('RESETSTAT'), 'OK');
  const { sections } = parseInfo(await r.call('INFO', 'commandstats', 'errorstats'));
  assert.deepEqual(Object.keys(sections.Commandstats), ['cmdstat_config|resetstat']);
  assert.deepEqual(sections.Errorstats, {});
});

test('CONFIG REWRITE without a config file is refused', async () => {
  await assert.rejects(r.config('REWRITE'), { message: 'ERR The server is running without a config file' });
});

test('CONFIG HELP lists the subcommands', async () => {
  assert.deepEqual(await r.config('HELP'), [
    'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'GET <pattern>',
    '    Return parameters matching the glob-like <pattern> and their values.',
    'SET <directive> <value>',
    '    Set the configuration <directive> to <value>.',
    'RESETSTAT',
    '    Reset statistics reported by the INFO command.',
    'REWRITE',
    '    Rewrite the configuration file.',
    'HELP',
    '    Prints this help.',
  ]);
});

test('CONFIG REWRITE writes changed parameters into the config file, keeping comments', async () => {
  const dir = tempDir();
  const port = await freePort();
  const file = path.join(dir, 'redis.conf');
  fs.writeFileSync(
    file,
    `# A comment that must survive\nport ${port}\nsave ""\nappendonly no\ndir ${dir}\nmaxmemory-policy noeviction\n`,
  );
  const proc = launch([file]);
  let c;
  try {
    await proc.ready(port);
    c = new Redis({ port, lazyConnect: false });
    assert.equal(await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru', 'hz', '15'), 'OK');
    assert.equal(await c.config('REWRITE'), 'OK');
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.split('\n');
    assert.ok(lines.includes('# A comment that must survive'), text);
    assert.ok(lines.includes(`port ${port}`), text);
    assert.ok(lines.includes('maxmemory-policy allkeys-lru'), text);
    assert.ok(lines.includes('hz 15'), text);
    assert.ok(!lines.includes('maxmemory-policy noeviction'), text);
  } finally {
    if (c) await c.quit();
    await proc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- COMMAND

test('COMMAND COUNT matches COMMAND; COMMAND LIST adds container|sub names', async () => {
  const count = await r.command('COUNT');
  const list = await r.command('LIST');
  const all = await r.command();
  assert.ok(count > 0);
  assert.equal(all.length, count);
  assert.equal(new Set(list).size, list.length);
  const topLevel = list.filter((name) => !name.includes('|'));
  assert.equal(topLevel.length, count);
  assert.deepEqual(sorted(topLevel), sorted(all.map((info) => info[0])));
  for (const name of ['config|get', 'config|set', 'client|list', 'object|encoding']) {
    assert.ok(list.includes(name), name);
  }
  for (const name of ['get', 'set', 'del', 'command', 'config', 'info', 'client', 'scan']) {
    assert.ok(list.includes(name), name);
  }
});

test('COMMAND INFO get describes arity, flags, keys and key specs', async () => {
  const [info] = await r.command('INFO', 'get');
  const [name, arity, flags, first, last, step, categories, tips, keySpecs, subcommands] = info;
  assert.deepEqual([name, arity, flags, first, last, step], ['get', 2, ['readonly', 'fast'], 1, 1, 1]);
  assert.deepEqual(sorted(categories), ['@fast', '@read', '@string']);
  assert.deepEqual(tips, []);
  assert.deepEqual(keySpecs, [
    ['flags', ['RO', 'access'], 'begin_search', ['type', 'index', 'spec', ['index', 1]], 'find_keys', ['type', 'range', 'spec', ['lastkey', 0, 'keystep', 1, 'limit', 0]]],
  ]);
  assert.deepEqual(subcommands, []);
});

test('COMMAND INFO answers nil for an unknown command and accepts container|sub', async () => {
  const [missing, get] = await r.command('INFO', 'nosuchcommand', 'GET');
  assert.equal(missing, null);
  assert.equal(get[0], 'get');
  const [configGet] = await r.command('INFO', 'config|get');
  assert.deepEqual(configGet.slice(0, 6), ['config|get', -3, ['admin', 'noscript', 'loading', 'stale'], 0, 0, 0]);
  assert.deepEqual(sorted(configGet[6]), ['@admin', '@dangerous', '@slow']);
});

test('COMMAND DOCS get has summary, since, group, complexity and arguments', async () => {
  const reply = await r.command('DOCS', 'get');
  assert.equal(reply.length, 2);
  assert.equal(reply[0], 'get');
  const doc = pairs(reply[1]);
  assert.equal(typeof doc.summary, 'string');
  assert.ok(doc.summary.length > 0);
  assert.equal(doc.since, '1.0.0');
  assert.equal(doc.group, 'string');
  assert.equal(doc.complexity, 'O(1)');
  assert.deepEqual(doc.arguments, [['name', 'key', 'type', 'key', 'key_spec_index', 0]]);
});

test('COMMAND DOCS of an unknown command is empty', async () => {
  assert.deepEqual(await r.command('DOCS', 'nosuchcommand'), []);
});

test('COMMAND LIST FILTERBY PATTERN filters names', async () => {
  assert.deepEqual(await r.command('LIST', 'FILTERBY', 'PATTERN', 'getr*'), ['getrange']);
  assert.deepEqual(sorted(await r.command('LIST', 'FILTERBY', 'PATTERN', 'config*')), [
    'config', 'config|get', 'config|help', 'config|resetstat', 'config|rewrite', 'config|set',
  ]);
});

test('COMMAND GETKEYS extracts key arguments', async () => {
  assert.deepEqual(await r.command('GETKEYS', 'SET', 'a', 'b'), ['a']);
  assert.deepEqual(await r.command('GETKEYS', 'MSET', 'a', '1', 'b', '2'), ['a', 'b']);
  assert.deepEqual(await r.command('GETKEYS', 'DEL', 'x', 'y', 'z'), ['x', 'y', 'z']);
  assert.deepEqual(await r.command('GETKEYS', 'LCS', 'a', 'b'), ['a', 'b']);
  assert.deepEqual(await r.command('GETKEYS', 'EXPIRE', 'a', '1'), ['a']);
  assert.deepEqual(await r.command('GETKEYS', 'OBJECT', 'ENCODING', 'k'), ['k']);
});

test('COMMAND GETKEYS errors', async () => {
  await assert.rejects(r.command('GETKEYS', 'nosuch', 'x'), { message: 'ERR Invalid command specified' });
  await assert.rejects(r.command('GETKEYS', 'GET', 'a', 'b'), { message: 'ERR Invalid number of arguments specified for command' });
  await assert.rejects(r.command('GETKEYS', 'PING', 'x'), { message: 'ERR The command has no key arguments' });
  await assert.rejects(r.command('GETKEYS', 'GET'), { message: "ERR wrong number of arguments for 'command|getkeys' command" });
});

test('COMMAND GETKEYSANDFLAGS gives each key with the access flags of its key spec', async () => {
  const flags = (...line) => r.call('COMMAND', 'GETKEYSANDFLAGS', ...line);
  assert.deepEqual(await flags('SET', 'k1', 'v1'), [['k1', ['OW', 'update']]]);
  assert.deepEqual(await flags('SET', 'k1', 'v1', 'GET'), [['k1', ['RW', 'access', 'update']]]);
  assert.deepEqual(await flags('MSET', 'k1', 'v1', 'k2', 'v2'), [['k1', ['OW', 'update']], ['k2', ['OW', 'update']]]);
  assert.deepEqual(await flags('LMOVE', 'k1', 'k2', 'left', 'right'), [['k1', ['RW', 'access', 'delete']], ['k2', ['RW', 'insert']]]);
  assert.deepEqual(await flags('sort', 'k1', 'store', 'k2'), [['k1', ['RO', 'access']], ['k2', ['OW', 'update']]]);
  assert.deepEqual(await flags('SORT', 'k1', 'LIMIT', 'STORE', '1', 'GET', 'STORE', 'STORE', 'k3'), [['k1', ['RO', 'access']], ['k3', ['OW', 'update']]]);
  assert.deepEqual(await flags('SORT_RO', 'k1', 'BY', 'w*'), [['k1', ['RO', 'access']]]);
  assert.deepEqual(await flags('DEL', 'a', 'b'), [['a', ['RM', 'delete']], ['b', ['RM', 'delete']]]);
  assert.deepEqual(await flags('ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'), [['d', ['OW', 'update']], ['a', ['RO', 'access']], ['b', ['RO', 'access']]]);
  assert.deepEqual(await flags('BLMPOP', '0', '2', 'a', 'b', 'LEFT'), [['a', ['RW', 'access', 'delete']], ['b', ['RW', 'access', 'delete']]]);
  assert.deepEqual(await flags('OBJECT', 'ENCODING', 'k'), [['k', ['RO']]]);
  assert.deepEqual(await flags('WATCH', 'a', 'b'), [['a', ['RO']], ['b', ['RO']]]);
  await assert.rejects(flags('PING', 'x'), { message: 'ERR The command has no key arguments' });
  await assert.rejects(flags('nosuch', 'x'), { message: 'ERR Invalid command specified' });
  await assert.rejects(flags('GET', 'a', 'b'), { message: 'ERR Invalid number of arguments specified for command' });
  await assert.rejects(flags('ZUNION', '3', 'a', 'b'), { message: 'ERR Invalid arguments specified for command' });
  await assert.rejects(flags('GET'), { message: "ERR wrong number of arguments for 'command|getkeysandflags' command" });
});

test('COMMAND GETKEYS finds the keys of a subcommand, such as MEMORY USAGE', async () => {
  assert.deepEqual(await r.command('GETKEYS', 'MEMORY', 'USAGE', 'key'), ['key']);
  assert.deepEqual(await r.command('GETKEYS', 'memory', 'usage', 'key', 'SAMPLES', '5'), ['key']);
  assert.deepEqual(await r.call('COMMAND', 'GETKEYSANDFLAGS', 'MEMORY', 'USAGE', 'key'), [['key', ['RO']]]);
  // An unknown subcommand is an unknown command; the container alone has no keys.
  await assert.rejects(r.command('GETKEYS', 'MEMORY', 'nosuch', 'key'), { message: 'ERR Invalid command specified' });
  await assert.rejects(r.command('GETKEYS', 'MEMORY', 'HELP'), { message: 'ERR The command has no key arguments' });
  await assert.rejects(r.command('GETKEYS', 'CONFIG', 'GET', 'x'), { message: 'ERR The command has no key arguments' });
});

test('COMMAND GETKEYS of store commands with a malformed count reads it as C atoi does', async () => {
  // The key specs cannot parse "2x"; Redis then falls back to its own finder, which lists the destination last.
  assert.deepEqual(await r.command('GETKEYS', 'ZUNIONSTORE', 'd', '2x', 'a', 'b'), ['a', 'b', 'd']);
  assert.deepEqual(await r.call('COMMAND', 'GETKEYSANDFLAGS', 'ZUNION', '2abc', 'a', 'b'), [['a', []], ['b', []]]);
  await assert.rejects(r.command('GETKEYS', 'ZUNIONSTORE', 'd', '3x', 'a', 'b'), { message: 'ERR Invalid arguments specified for command' });
  await assert.rejects(r.command('GETKEYS', 'ZUNION', '0', 'a'), { message: 'ERR Invalid arguments specified for command' });
});

test('COMMAND INFO and DOCS answer nothing for a name with more than one |', async () => {
  assert.deepEqual(await r.command('INFO', 'config|get|key'), [null]);
  assert.deepEqual(await r.command('INFO', 'get|key'), [null]);
  assert.deepEqual(await r.command('INFO', 'config|get|key', 'config|get').then((reply) => reply.map((info) => info?.[0] ?? null)), [null, 'config|get']);
  assert.deepEqual(await r.command('DOCS', 'config|get|key'), []);
});

// Notes are free text: ours are in our own words, so only their presence is compared.
test('COMMAND INFO key specs carry Redis\'s flags, notes and search types', async () => {
  const range = (pos, lastkey = 0, keystep = 1) =>
    ['begin_search', ['type', 'index', 'spec', ['index', pos]], 'find_keys', ['type', 'range', 'spec', ['lastkey', lastkey, 'keystep', keystep, 'limit', 0]]];
  const keynum = (pos) =>
    ['begin_search', ['type', 'index', 'spec', ['index', pos]], 'find_keys', ['type', 'keynum', 'spec', ['keynumidx', 0, 'firstkey', 1, 'keystep', 1]]];
  const unknown = ['begin_search', ['type', 'unknown', 'spec', []], 'find_keys', ['type', 'unknown', 'spec', []]];
  const info = await r.command('INFO', 'lmove', 'set', 'mset', 'zunionstore', 'lmpop', 'sort', 'memory|usage', 'watch', 'sunionstore');
  const specs = Object.fromEntries(info.map((entry) => [entry[0], entry[8]]));
  assert.deepEqual(specs.lmove, [['flags', ['RW', 'access', 'delete'], ...range(1)], ['flags', ['RW', 'insert'], ...range(2)]]);
  assert.equal(specs.set[0][0], 'notes');
  assert.deepEqual(specs.set, [['notes', specs.set[0][1], 'flags', ['RW', 'access', 'update', 'variable_flags'], ...range(1)]]);
  assert.deepEqual(specs.mset, [['flags', ['OW', 'update'], ...range(1, -1, 2)]]);
  assert.deepEqual(specs.zunionstore, [['flags', ['OW', 'update'], ...range(1)], ['flags', ['RO', 'access'], ...keynum(2)]]);
  assert.deepEqual(specs.lmpop, [['flags', ['RW', 'access', 'delete'], ...keynum(1)]]);
  assert.equal(specs.sort.length, 3);
  assert.deepEqual(specs.sort[0], ['flags', ['RO', 'access'], ...range(1)]);
  assert.deepEqual(specs.sort[2].slice(0, 4), ['notes', specs.sort[2][1], 'flags', ['OW', 'update']]);
  assert.equal(typeof specs.sort[2][1], 'string');
  assert.deepEqual(specs.sort[2].slice(4), unknown);
  assert.deepEqual(specs['memory|usage'], [['flags', ['RO'], ...range(2)]]);
  assert.deepEqual(specs.watch, [['flags', ['RO'], ...range(1, -1)]]);
  assert.deepEqual(specs.sunionstore, [['flags', ['OW', 'update'], ...range(1)], ['flags', ['RO', 'access'], ...range(2, -1)]]);
});

test('COMMAND INFO derives first/last/step and movablekeys from the key specs, as Redis', async () => {
  const heads = Object.fromEntries(
    (await r.command('INFO', 'zunionstore', 'zinter', 'lmpop', 'bzmpop', 'sintercard', 'sort', 'sort_ro', 'lmove', 'mset', 'sunionstore'))
      .map((entry) => [entry[0], entry.slice(2, 6)]),
  );
  assert.deepEqual(heads, {
    zunionstore: [['write', 'denyoom', 'movablekeys'], 1, 1, 1],
    zinter: [['readonly', 'movablekeys'], 0, 0, 0],
    lmpop: [['write', 'movablekeys'], 0, 0, 0],
    bzmpop: [['write', 'blocking', 'movablekeys'], 0, 0, 0],
    sintercard: [['readonly', 'movablekeys'], 0, 0, 0],
    sort: [['write', 'denyoom', 'movablekeys'], 1, 1, 1],
    sort_ro: [['readonly', 'movablekeys'], 1, 1, 1],
    lmove: [['write', 'denyoom'], 1, 2, 1],
    mset: [['write', 'denyoom'], 1, -1, 2],
    sunionstore: [['write', 'denyoom'], 1, -1, 1],
  });
  for (const name of ['SET', 'GET', 'MSET', 'LMOVE', 'LPOP', 'BLPOP', 'PING', 'MEMORY', 'MEMORY|USAGE', 'RENAME']) {
    const [info] = await r.command('INFO', name);
    assert.ok(!info[2].includes('movablekeys'), name);
  }
  for (const name of ['ZUNIONSTORE', 'SORT', 'SORT_RO', 'ZUNION', 'ZDIFFSTORE', 'ZINTERCARD', 'ZMPOP', 'BLMPOP']) {
    const [info] = await r.command('INFO', name);
    assert.ok(info[2].includes('movablekeys'), name);
  }
});

test('COMMAND DOCS points each key argument at its key spec', async () => {
  const keyArgs = async (name) => {
    const [, doc] = await r.command('DOCS', name);
    return pairs(doc).arguments.map(pairs).filter((arg) => arg.type === 'key').map((arg) => [arg.name, arg.key_spec_index]);
  };
  assert.deepEqual(await keyArgs('lmove'), [['source', 0], ['destination', 1]]);
  assert.deepEqual(await keyArgs('zunionstore'), [['destination', 0], ['key', 1]]);
  assert.deepEqual(await keyArgs('zrangestore'), [['dst', 0], ['src', 1]]);
});

test('COMMAND HELP lists GETKEYSANDFLAGS', async () => {
  const help = await r.command('HELP');
  assert.ok(help.includes('GETKEYSANDFLAGS <full-command>'), help.join('\n'));
  assert.ok(help.includes('    Return the keys and the access flags from a full Redis command.'));
});

test('COMMAND with an unknown subcommand is refused', async () => {
  await assert.rejects(r.command('FOO'), { message: "ERR unknown subcommand 'FOO'. Try COMMAND HELP." });
});

// ---------------------------------------------------------------- TIME / LASTSAVE / DBSIZE

test('TIME returns Unix seconds and microseconds as strings', async () => {
  const before = Date.now();
  const [seconds, micros] = await r.time();
  const after = Date.now();
  assert.match(seconds, /^\d+$/);
  assert.match(micros, /^\d+$/);
  assert.ok(Number(micros) < 1_000_000);
  const ms = Number(seconds) * 1000 + Number(micros) / 1000;
  assert.ok(ms >= before - 5 && ms <= after + 5, `${ms} not in [${before}, ${after}]`);
});

test('LASTSAVE is a Unix time no later than now', async () => {
  const lastsave = await r.lastsave();
  assert.equal(typeof lastsave, 'number');
  assert.ok(lastsave > 1_600_000_000);
  assert.ok(lastsave <= Math.ceil(Date.now() / 1000));
});

test('DBSIZE counts keys', async () => {
  assert.equal(await r.dbsize(), 0);
  await r.mset('a', '1', 'b', '2');
  assert.equal(await r.dbsize(), 2);
});

// ---------------------------------------------------------------- SLOWLOG / LATENCY / FUNCTION / SCRIPT

test('SLOWLOG records commands once slowlog-log-slower-than is 0', async () => {
  const c = new Redis({ port: server.port, lazyConnect: false });
  try {
    await c.config('SET', 'slowlog-log-slower-than', '0');
    await c.slowlog('RESET');
    await c.client('SETNAME', 'tester');
    await c.set('foo', 'bar');
    const [entry] = await c.slowlog('GET', '1');
    const [id, timestamp, duration, args, peer, name] = entry;
    assert.equal(typeof id, 'number');
    assert.ok(Math.abs(timestamp - Date.now() / 1000) < 5, `timestamp ${timestamp}`);
    assert.equal(typeof duration, 'number');
    assert.ok(duration >= 0);
    assert.deepEqual(args, ['set', 'foo', 'bar']);
    assert.match(peer, /^127\.0\.0\.1:\d+$/);
    assert.equal(name, 'tester');
    const len = await c.slowlog('LEN');
    assert.ok(len >= 2, `len ${len}`);
    const all = await c.slowlog('GET', '-1');
    assert.equal(all.length, len + 1); // SLOWLOG LEN itself was logged after replying
    const ids = all.map((e) => e[0]);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
    assert.equal((await c.slowlog('GET')).length, Math.min(10, all.length + 1));
  } finally {
    await c.config('SET', 'slowlog-log-slower-than', '10000');
    await c.quit();
  }
});

test('SLOWLOG RESET empties the log, and nothing is logged while disabled', async () => {
  await r.config('SET', 'slowlog-log-slower-than', '-1');
  assert.equal(await r.slowlog('RESET'), 'OK');
  await r.set('a', 'b');
  assert.equal(await r.slowlog('LEN'), 0);
  assert.deepEqual(await r.slowlog('GET'), []);
  await r.config('SET', 'slowlog-log-slower-than', '10000');
});

test('SLOWLOG keeps at most slowlog-max-len entries', async () => {
  await r.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0', 'slowlog-max-len', '3');
  for (let i = 0; i < 10; i++) await r.set(`k${i}`, 'v');
  await r.call('CONFIG', 'SET', 'slowlog-log-slower-than', '-1', 'slowlog-max-len', '128');
  assert.equal(await r.slowlog('LEN'), 3);
  await r.slowlog('RESET');
});

test('SLOWLOG trims long arguments and long argument lists', async () => {
  await r.config('SET', 'slowlog-log-slower-than', '0');
  await r.slowlog('RESET');
  await r.set('k', 'x'.repeat(200));
  const many = Array.from({ length: 40 }, (_, i) => `key${i}`);
  await r.del(...many);
  await r.config('SET', 'slowlog-log-slower-than', '-1');
  const entries = await r.slowlog('GET', '-1');
  const setEntry = entries.find((e) => e[3][0] === 'set');
  assert.deepEqual(setEntry[3], ['set', 'k', `${'x'.repeat(128)}... (72 more bytes)`]);
  const delEntry = entries.find((e) => e[3][0] === 'del');
  assert.equal(delEntry[3].length, 32);
  assert.deepEqual(delEntry[3].slice(0, 2), ['del', 'key0']);
  assert.equal(delEntry[3][31], '... (10 more arguments)');
  await r.config('SET', 'slowlog-log-slower-than', '10000');
});

test('SLOWLOG GET with a count below -1 or not a number is refused', async () => {
  const message = 'ERR count should be greater than or equal to -1';
  await assert.rejects(r.slowlog('GET', '-2'), { message });
  await assert.rejects(r.slowlog('GET', 'abc'), { message });
  await assert.rejects(r.slowlog('GET', '99999999999999999999'), { message });
});

test('LATENCY LATEST is empty on a fresh server', async () => {
  assert.deepEqual(await r.call('LATENCY', 'LATEST'), []);
});

test('FUNCTION FLUSH and SCRIPT FLUSH reply OK', async () => {
  assert.equal(await r.call('FUNCTION', 'FLUSH'), 'OK');
  assert.equal(await r.call('FUNCTION', 'FLUSH', 'ASYNC'), 'OK');
  assert.equal(await r.call('SCRIPT', 'FLUSH'), 'OK');
  assert.equal(await r.call('SCRIPT', 'FLUSH', 'SYNC'), 'OK');
});

test('FUNCTION FLUSH and SCRIPT FLUSH refuse an unknown mode', async () => {
  await assert.rejects(r.call('FUNCTION', 'FLUSH', 'FOO'), { message: 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option' });
  await assert.rejects(r.call('SCRIPT', 'FLUSH', 'FOO'), { message: 'ERR SCRIPT FLUSH only support SYNC|ASYNC option' });
});

// ---------------------------------------------------------------- MONITOR

/** Reads one CRLF-terminated line from a raw connection. */
async function readLine(conn) {
  let line = '';
  while (!line.endsWith('\r\n')) line += await conn.read(1);
  return line;
}

test('MONITOR streams other clients\' commands in Redis\'s format', async () => {
  const monitor = await rawConnect(server.port);
  const other = await rawConnect(server.port);
  try {
    assert.equal(await monitor.roundTrip(resp('MONITOR'), '+OK\r\n'), '+OK\r\n');
    const otherAddr = `127.0.0.1:${other.socket.localPort}`;
    assert.equal(await other.roundTrip(resp('SET', 'foo', 'bar'), '+OK\r\n'), '+OK\r\n');
    const line = await readLine(monitor);
    const escaped = otherAddr.replace(/\./g, '\\.');
    assert.match(line, new RegExp(`^\\+\\d{10}\\.\\d{6} \\[0 ${escaped}\\] "SET" "foo" "bar"\\r\\n$`));
    const seconds = Number(line.slice(1, line.indexOf(' ')));
    assert.ok(Math.abs(seconds - Date.now() / 1000) < 5);

    // The database number and quoting of spaces, quotes, backslashes and binary bytes.
    assert.equal(await other.roundTrip(resp('SELECT', '3'), '+OK\r\n'), '+OK\r\n');
    // SELECT is shown once it ran, with the new database.
    assert.match(await readLine(monitor), new RegExp(`^\\+\\S+ \\[3 ${escaped}\\] "SELECT" "3"\\r\\n$`));
    other.write(resp('SET', 'a b', 'q"\\\x00\xff\n'));
    assert.equal(await other.read(5), '+OK\r\n');
    const quoted = await readLine(monitor);
    assert.equal(quoted.slice(quoted.indexOf(']') + 2), '"SET" "a b" "q\\"\\\\\\x00\\xff\\n"\r\n');
    assert.ok(quoted.includes(`[3 ${otherAddr}]`), quoted);
  } finally {
    monitor.close();
    other.close();
  }
});

test('MONITOR does not show admin commands such as CONFIG', async () => {
  const monitor = await rawConnect(server.port);
  const other = await rawConnect(server.port);
  try {
    await monitor.roundTrip(resp('MONITOR'), '+OK\r\n');
    other.write(resp('CONFIG', 'GET', 'hz'));
    await other.read('*2\r\n$2\r\nhz\r\n$2\r\n10\r\n'.length);
    await other.roundTrip(resp('PING'), '+PONG\r\n');
    const line = await readLine(monitor);
    assert.match(line, /"PING"\r\n$/);
  } finally {
    monitor.close();
    other.close();
  }
});

// ---------------------------------------------------------------- CLIENT

/** Sends CLIENT ID on a raw connection and parses the integer. */
async function rawClientId(conn) {
  conn.write(resp('CLIENT', 'ID'));
  const line = await readLine(conn);
  assert.match(line, /^:\d+\r\n$/);
  return Number(line.slice(1, -2));
}

test('CLIENT ID is a distinct, increasing number per connection', async () => {
  const a = await rawConnect(server.port);
  const b = await rawConnect(server.port);
  try {
    const idA = await rawClientId(a);
    const idB = await rawClientId(b);
    assert.ok(idB > idA);
    assert.equal(await rawClientId(a), idA);
  } finally {
    a.close();
    b.close();
  }
});

test('CLIENT SETNAME / GETNAME name the connection', async () => {
  const c = new Redis({ port: server.port, lazyConnect: false });
  try {
    assert.equal(await c.client('GETNAME'), null);
    assert.equal(await c.client('SETNAME', 'worker-1'), 'OK');
    assert.equal(await c.client('GETNAME'), 'worker-1');
    assert.equal(await c.client('SETNAME', ''), 'OK');
    assert.equal(await c.client('GETNAME'), null);
  } finally {
    await c.quit();
  }
});

test('CLIENT SETNAME refuses spaces and special characters', async () => {
  for (const name of ['a b', 'a\nb', 'tab\there']) {
    await assert.rejects(r.client('SETNAME', name), {
      message: 'ERR Client names cannot contain spaces, newlines or special characters.',
    });
  }
});

test('CLIENT LIST describes every connection, showing the running command as container|sub', async () => {
  const c = new Redis({ port: server.port, lazyConnect: false });
  try {
    await c.client('SETNAME', 'lister');
    const id = await c.client('ID');
    const text = await c.client('LIST');
    assert.ok(text.endsWith('\n'));
    const lines = text.trimEnd().split('\n');
    assert.ok(lines.length >= 2);
    const mine = lines.find((l) => l.startsWith(`id=${id} `));
    assert.ok(mine, text);
    const fields = Object.fromEntries(mine.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    assert.equal(fields.name, 'lister');
    assert.equal(fields.db, '0');
    assert.equal(fields.cmd, 'client|list');
    assert.equal(fields.flags, 'N');
    assert.equal(fields.laddr, `127.0.0.1:${server.port}`);
    assert.match(fields.addr, /^127\.0\.0\.1:\d+$/);
    assert.equal(fields.user, 'default');
    assert.equal(fields.resp, '2');
  } finally {
    await c.quit();
  }
});

// Redis 7.0's fields in order, plus 7.2's lib-name and lib-ver (we support CLIENT SETINFO).
test('CLIENT LIST lines have Redis\'s fields, in order', async () => {
  const c = new Redis({ port: server.port, lazyConnect: false });
  try {
    const id = await c.client('ID');
    const mine = (await c.client('LIST', 'ID', String(id))).trimEnd();
    const fields = Object.fromEntries(mine.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    assert.deepEqual(Object.keys(fields), [
      'id', 'addr', 'laddr', 'fd', 'name', 'age', 'idle', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'qbuf',
      'qbuf-free', 'argv-mem', 'multi-mem', 'rbs', 'rbp', 'obl', 'oll', 'omem', 'tot-mem', 'events', 'cmd', 'user',
      'redir', 'resp', 'lib-name', 'lib-ver',
    ]);
  } finally {
    await c.quit();
  }
});

test('CLIENT LIST ID and TYPE filter connections', async () => {
  const id = await r.client('ID');
  const text = await r.client('LIST', 'ID', String(id));
  assert.equal(text.trimEnd().split('\n').length, 1);
  assert.ok(text.startsWith(`id=${id} `));
  assert.ok((await r.client('LIST', 'TYPE', 'normal')).includes(`id=${id} `));
  assert.equal(await r.client('LIST', 'TYPE', 'pubsub'), '');
  await assert.rejects(r.client('LIST', 'ID', 'abc'), { message: 'ERR Invalid client ID' });
  await assert.rejects(r.client('LIST', 'TYPE', 'foo'), { message: "ERR Unknown client type 'foo'" });
});

test('CLIENT INFO describes the current connection', async () => {
  const id = await r.client('ID');
  const text = await r.client('INFO');
  assert.ok(text.startsWith(`id=${id} addr=127.0.0.1:`), text);
  assert.ok(text.endsWith('\n'));
  assert.equal(text.split('\n').length, 2);
  assert.ok(text.includes(' cmd=client|info '), text);
});

test('CLIENT KILL ID closes that connection', async () => {
  const victim = await rawConnect(server.port);
  try {
    const id = await rawClientId(victim);
    assert.equal(await r.client('KILL', 'ID', String(id)), 1);
    await victim.waitClosed();
    assert.equal(await r.client('KILL', 'ID', String(id)), 0);
  } finally {
    victim.close();
  }
});

test('CLIENT KILL ADDR closes the connection from that address', async () => {
  const victim = await rawConnect(server.port);
  try {
    await rawClientId(victim);
    assert.equal(await r.client('KILL', 'ADDR', `127.0.0.1:${victim.socket.localPort}`), 1);
    await victim.waitClosed();
    assert.equal(await r.client('KILL', 'ADDR', '1.2.3.4:5'), 0);
  } finally {
    victim.close();
  }
});

test('CLIENT KILL with the old ip:port form replies OK or an error', async () => {
  const victim = await rawConnect(server.port);
  try {
    await rawClientId(victim);
    assert.equal(await r.client('KILL', `127.0.0.1:${victim.socket.localPort}`), 'OK');
    await victim.waitClosed();
    await assert.rejects(r.client('KILL', '1.2.3.4:5'), { message: 'ERR No such client' });
  } finally {
    victim.close();
  }
});

test('CLIENT KILL skips the caller unless SKIPME no', async () => {
  const c = new Redis({ port: server.port, lazyConnect: false, retryStrategy: () => null });
  try {
    const id = await c.client('ID');
    assert.equal(await c.client('KILL', 'ID', String(id)), 0);
    assert.equal(await c.ping(), 'PONG');
  } finally {
    c.disconnect();
  }
});

test('CLIENT KILL with a bad ID is refused', async () => {
  await assert.rejects(r.client('KILL', 'ID', 'abc'), { message: 'ERR client-id should be greater than 0' });
  await assert.rejects(r.client('KILL', 'ID', '0'), { message: 'ERR client-id should be greater than 0' });
  await assert.rejects(r.client('KILL', 'ID', '1', 'FOO', 'bar'), SYNTAX);
});

test('CLIENT KILL USER of an unknown user is refused', async () => {
  await assert.rejects(r.client('KILL', 'USER', 'nobody'), { message: "ERR No such user 'nobody'" });
});

test('CLIENT NO-EVICT takes ON or OFF', async () => {
  assert.equal(await r.client('NO-EVICT', 'on'), 'OK');
  assert.equal(await r.client('NO-EVICT', 'OFF'), 'OK');
  await assert.rejects(r.client('NO-EVICT', 'maybe'), SYNTAX);
});

// CLIENT SETINFO and NO-TOUCH arrived in Redis 7.2; we have them because node-redis sends SETINFO
// (so this test fails against a real 7.0.15 on purpose).
test('CLIENT SETINFO records the library in CLIENT INFO, and NO-TOUCH takes ON or OFF', async () => {
  assert.equal(await r.client('SETINFO', 'LIB-NAME', 'mylib'), 'OK');
  assert.equal(await r.client('SETINFO', 'LIB-VER', '1.2.3'), 'OK');
  const info = await r.client('INFO');
  assert.match(info, / lib-name=mylib lib-ver=1\.2\.3/);
  await assert.rejects(r.client('SETINFO', 'LIB-NAME', 'has space'), { message: 'ERR lib-name cannot contain spaces, newlines or special characters.' });
  await assert.rejects(r.client('SETINFO', 'OTHER', 'x'), { message: "ERR Unrecognized option 'OTHER'" });
  assert.equal(await r.client('NO-TOUCH', 'on'), 'OK');
  assert.equal(await r.client('NO-TOUCH', 'off'), 'OK');
});

// ---------------------------------------------------------------- DEBUG

test('DEBUG is refused unless enable-debug-command allows it', async () => {
  const message =
    'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';
  await assert.rejects(r.call('DEBUG', 'SLEEP', '0'), { message });
  await assert.rejects(r.call('DEBUG', 'HELP'), { message });
  assert.deepEqual(await r.config('GET', 'enable-debug-command'), ['enable-debug-command', 'no']);
});

// ---------------------------------------------------------------- separate servers

test('SHUTDOWN closes the connection and stops the process', async () => {
  const other = await startServer();
  try {
    const conn = await rawConnect(other.port);
    conn.write(resp('SHUTDOWN', 'NOSAVE'));
    await conn.waitClosed();
    const code = other.proc.exitCode ?? (await once(other.proc, 'exit'))[0];
    assert.equal(code, 0);
    await assert.rejects(rawConnect(other.port));
  } finally {
    await other.stop();
  }
});

test('`npm start` and the installed command run the server with the V8 flags of src/main.ts', async () => {
  const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.equal(pkg.scripts.start, ['node', ...SERVER_NODE_FLAGS, 'dist/main.js'].join(' '));
  assert.equal(pkg.bin['noderedis-server'], 'dist/main.js');
  // tsc keeps the #! line, so the installed command, and dist/main.js run directly, get the same flags.
  assert.equal(fs.readFileSync(MAIN, 'utf8').split('\n', 1)[0], ['#!/usr/bin/env -S node', ...SERVER_NODE_FLAGS].join(' '));
  assert.ok(fs.statSync(MAIN).mode & 0o100, 'npm run build makes dist/main.js executable');
  const port = await freePort();
  const cwd = tempDir();
  const npm = spawn('npm', ['start', '--silent', '--prefix', fileURLToPath(new URL('..', import.meta.url)), '--', '--port', String(port), '--save', '', '--dir', cwd], {
    stdio: 'ignore',
  });
  try {
    await waitForPort(port, npm);
    const conn = await rawConnect(port);
    conn.write(resp('SHUTDOWN', 'NOSAVE'));
    await conn.waitClosed();
    const code = npm.exitCode ?? (await once(npm, 'exit'))[0];
    assert.equal(code, 0);
  } finally {
    npm.kill();
  }
});

test('a server started with --databases 4 refuses SELECT 4', async () => {
  const other = await startServer(['--databases', '4']);
  const c = new Redis({ port: other.port, lazyConnect: false });
  try {
    assert.equal(await c.select(3), 'OK');
    await assert.rejects(c.select(4), { message: 'ERR DB index is out of range' });
    assert.deepEqual(await c.config('GET', 'databases'), ['databases', '4']);
  } finally {
    await c.quit();
    await other.stop();
  }
});

test('a config file with comments plus command-line options starts the server', async () => {
  const dir = tempDir();
  const port = await freePort();
  const file = path.join(dir, 'redis.conf');
  fs.writeFileSync(
    file,
    `# Test configuration\n\n# The port:\nport ${port}\n   # indented comment\nsave ""\nappendonly no\ndir ${dir}\nhz 12\n`,
  );
  const proc = launch([file, '--loglevel', 'verbose']);
  let c;
  try {
    await proc.ready(port);
    c = new Redis({ port, lazyConnect: false });
    assert.deepEqual(pairs(await c.call('CONFIG', 'GET', 'port', 'loglevel', 'hz')), {
      port: String(port),
      loglevel: 'verbose',
      hz: '12',
    });
    const { sections } = parseInfo(await c.info('server'));
    assert.equal(sections.Server.config_file, file);
  } finally {
    if (c) await c.quit();
    await proc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown directive in the config file makes the server exit 1 naming the line', async () => {
  const dir = tempDir();
  const port = await freePort();
  const file = path.join(dir, 'redis.conf');
  fs.writeFileSync(file, `# comment\nport ${port}\nnosuchdirective yes\nhz 10\n`);
  const proc = launch([file]);
  try {
    const code = await proc.exited;
    assert.equal(code, 1);
    const stderr = proc.stderr();
    assert.match(stderr, /Bad directive or wrong number of arguments/);
    assert.match(stderr, /at line 3/);
    assert.match(stderr, />>> 'nosuchdirective yes'/);
    assert.match(stderr, /\*\*\* FATAL CONFIG FILE ERROR \(Redis 7\.0\.15\) \*\*\*/);
  } finally {
    await proc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('COMMAND GETKEYS finds keys that follow a count, and the destination of store commands', async () => {
  assert.deepEqual(await r.call('COMMAND', 'GETKEYS', 'ZUNIONSTORE', 'dst', '2', 'a', 'b', 'WEIGHTS', '1', '2'), ['dst', 'a', 'b']);
  assert.deepEqual(await r.call('COMMAND', 'GETKEYS', 'LMPOP', '2', 'a', 'b', 'LEFT'), ['a', 'b']);
  assert.deepEqual(await r.call('COMMAND', 'GETKEYS', 'BLMPOP', '0', '1', 'a', 'LEFT'), ['a']);
  assert.deepEqual(await r.call('COMMAND', 'GETKEYS', 'SINTERCARD', '2', 'a', 'b', 'LIMIT', '1'), ['a', 'b']);
  assert.deepEqual(await r.call('COMMAND', 'GETKEYS', 'SORT', 'abc', 'STORE', 'x', 'STORE', 'def'), ['abc', 'def']);
  await assert.rejects(r.call('COMMAND', 'GETKEYS', 'ZUNION', '5', 'a', 'b'), { message: 'ERR Invalid arguments specified for command' });
});

test('MODULE answers as a redis-server without modules; LOAD, LOADEX and UNLOAD need enable-module-command', async (t) => {
  const notAllowed = 'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';
  assert.deepEqual(await r.call('MODULE', 'LIST'), []);
  await assert.rejects(r.call('MODULE', 'LOAD', '/x.so'), { message: notAllowed });
  await assert.rejects(r.call('MODULE', 'UNLOAD', 'x'), { message: notAllowed });
  await assert.rejects(r.call('MODULE', 'LOAD'), { message: "ERR wrong number of arguments for 'module|load' command" });
  const enabled = await startServer(['--enable-module-command', 'yes']);
  t.after(() => enabled.stop());
  const e = new Redis({ port: enabled.port });
  t.after(() => e.disconnect());
  await assert.rejects(e.call('MODULE', 'LOAD', '/x.so'), { message: 'ERR Error loading the extension. Please check the server logs.' });
  await assert.rejects(e.call('MODULE', 'LOADEX', '/x.so', 'ARGS', 'a'), { message: 'ERR Error loading the extension. Please check the server logs.' });
  await assert.rejects(e.call('MODULE', 'UNLOAD', 'x'), { message: 'ERR Error unloading module: no such module with that name' });
  assert.equal((await e.call('MODULE', 'HELP'))[0], 'MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
});

test('ASKING, READONLY and READWRITE answer as a redis-server without cluster support', async () => {
  for (const command of ['ASKING', 'READONLY', 'READWRITE']) {
    await assert.rejects(r.call(command), { message: 'ERR This instance has cluster support disabled' }, command);
  }
});
