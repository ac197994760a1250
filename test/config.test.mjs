import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Config, ConfigError, loadStartupConfig } from '../dist/config/config.js';
import { NOTIFY } from '../dist/store/notify.js';
import { DIRECTIVES, findDirective, Flag } from '../dist/config/directives.js';
import { splitArgs, reprArg } from '../dist/util/splitargs.js';

const failed = (name, reason) => `CONFIG SET failed (possibly related to argument '${name}') - ${reason}`;

/** Asserts that fn throws a ConfigError with exactly this message. */
function throwsConfig(fn, message) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    assert.equal(err.message, message);
    return true;
  });
}

const tempDirs = [];
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-test-'));
  tempDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('directive table', () => {
  test('holds every Redis 7.0.15 directive once', () => {
    assert.equal(DIRECTIVES.length, 178);
    const names = new Set();
    for (const d of DIRECTIVES) {
      for (const n of [d.name, d.alias].filter(Boolean)) {
        assert.ok(!names.has(n), n);
        names.add(n);
      }
    }
    assert.equal(names.size, 197);
    for (const n of ['appendonly', 'save', 'lazyfree-lazy-user-del', 'list-max-listpack-size', 'activedefrag',
      'latency-tracking', 'notify-keyspace-events', 'maxmemory', 'maxmemory-policy', 'tls-port']) {
      assert.ok(findDirective(n), n);
    }
    assert.equal(findDirective('HASH-MAX-ZIPLIST-ENTRIES')?.name, 'hash-max-listpack-entries');
    assert.ok(findDirective('requirepass').flags & Flag.Sensitive);
    assert.ok(findDirective('enable-debug-command').flags & Flag.Immutable);
  });
});

describe('defaults', () => {
  test('CONFIG GET texts', () => {
    const c = new Config();
    const expected = {
      port: '6379', databases: '16', bind: '127.0.0.1 -::1', 'proto-max-bulk-len': '536870912',
      'client-query-buffer-limit': '1073741824', maxclients: '10000', timeout: '0', 'protected-mode': 'yes',
      loglevel: 'notice', logfile: '', requirepass: '', 'enable-debug-command': 'no', hz: '10',
      save: '3600 1 300 100 60 10000', appendonly: 'no', maxmemory: '0', 'maxmemory-policy': 'noeviction',
      'hash-max-listpack-entries': '512', 'list-max-listpack-size': '-2', 'notify-keyspace-events': '',
      'client-output-buffer-limit': 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
      'oom-score-adj-values': '0 200 800', 'latency-tracking-info-percentiles': '50 99 99.9', slaveof: '',
      'unixsocketperm': '0', 'shutdown-on-sigint': 'default', 'maxmemory-clients': '0', 'acl-pubsub-default': 'resetchannels',
      'proc-title-template': '{title} {listen-addr} {server-mode}', 'syslog-facility': 'local0', dbfilename: 'dump.rdb',
    };
    for (const [name, value] of Object.entries(expected)) assert.equal(c.get(name), value, name);
    assert.equal(c.get('dir'), fs.realpathSync(process.cwd()));
    assert.equal(c.get('no-such-thing'), undefined);
  });

  test('typed values and number/bool getters', () => {
    const c = new Config();
    assert.equal(c.values.port, 6379);
    assert.deepEqual(c.values.bind, ['127.0.0.1', '-::1']);
    assert.equal(c.values.protectedMode, true);
    assert.equal(c.values.protoMaxBulkLen, 536870912);
    assert.equal(c.values.clientQueryBufferLimit, 1073741824);
    assert.equal(c.values.enableDebugCommand, 'no');
    assert.equal(c.values.hz, 10);
    assert.equal(c.getNumber('proto-max-bulk-len'), 536870912);
    assert.equal(c.getBool('protected-mode'), true);
    assert.equal(c.getBool('appendonly'), false);
    c.set('proto-max-bulk-len', '2mb');
    assert.equal(c.values.protoMaxBulkLen, 2 * 1024 * 1024);
    c.set('protected-mode', 'no');
    assert.equal(c.values.protectedMode, false);
    assert.throws(() => c.getNumber('nope'));
  });
});

describe('CONFIG SET', () => {
  test('aliases share the value and the name is case-insensitive', () => {
    const c = new Config();
    c.set('hash-max-ziplist-entries', '100');
    assert.equal(c.get('hash-max-listpack-entries'), '100');
    c.set('SLAVEOF', 'no one', { startup: true });
    c.set('Replica-Read-Only', 'no');
    assert.equal(c.get('slave-read-only'), 'no');
    // Redis treats an alias as a config of its own: both may be set in one call.
    c.setMany([['slave-read-only', 'yes'], ['replica-read-only', 'no']]);
    assert.equal(c.get('replica-read-only'), 'no');
    throwsConfig(() => c.setMany([['maxmemory', '1'], ['MAXMEMORY', '2']]), failed('MAXMEMORY', 'duplicate parameter'));
    // Errors name the alias when it was used.
    throwsConfig(() => c.set('SLAVE-READ-ONLY', 'x'), failed('slave-read-only', "argument must be 'yes' or 'no'"));
  });

  test('memory units', () => {
    const c = new Config();
    for (const [value, bytes] of [['1gb', '1073741824'], ['512mb', '536870912'], ['100k', '100000'], ['1kb', '1024'],
      ['1KB', '1024'], ['2G', '2000000000'], ['3m', '3000000'], ['12345', '12345'], ['7b', '7'], ['', '0'],
      ['18446744073709551615', '18446744073709551615']]) {
      c.set('maxmemory', value);
      assert.equal(c.get('maxmemory'), bytes, value);
    }
    for (const bad of ['1.5gb', '-1', ' 1', '1 ', '1tb', 'abc']) {
      throwsConfig(() => c.set('maxmemory', bad), failed('maxmemory', 'argument must be a memory value'));
    }
    throwsConfig(() => c.set('proto-max-bulk-len', '1000'),
      failed('proto-max-bulk-len', 'argument must be between 1048576 and 9223372036854775807 inclusive'));
    c.set('maxmemory-clients', '10%');
    assert.equal(c.get('maxmemory-clients'), '10%');
    assert.equal(c.getNumber('maxmemory-clients'), -10);
    throwsConfig(() => c.set('maxmemory-clients', '200%'),
      failed('maxmemory-clients', 'percentage argument must be less or equal to 100'));
    throwsConfig(() => c.set('maxmemory-clients', 'x'), failed('maxmemory-clients', 'argument must be a memory or percent value'));
  });

  test('integers, bools and enums with Redis error texts', () => {
    const c = new Config();
    throwsConfig(() => c.set('timeout', 'abc'), failed('timeout', "argument couldn't be parsed into an integer"));
    throwsConfig(() => c.set('timeout', '+5'), failed('timeout', "argument couldn't be parsed into an integer"));
    throwsConfig(() => c.set('timeout', '-1'), failed('timeout', 'argument must be between 0 and 2147483647 inclusive'));
    throwsConfig(() => c.set('maxclients', '-1'), failed('maxclients', 'argument must be between 1 and 4294967295 inclusive'));
    throwsConfig(() => c.set('port', '65536'), failed('port', 'argument must be between 0 and 65535 inclusive'));
    throwsConfig(() => c.set('protected-mode', 'maybe'), failed('protected-mode', "argument must be 'yes' or 'no'"));
    c.set('protected-mode', 'NO');
    assert.equal(c.get('protected-mode'), 'no');
    throwsConfig(() => c.set('loglevel', 'loud'),
      failed('loglevel', 'argument(s) must be one of the following: debug, verbose, notice, warning'));
    c.set('loglevel', 'WARNING');
    assert.equal(c.get('loglevel'), 'warning');
    c.set('oom-score-adj', 'relative'); // a synonym: shown as its first name
    assert.equal(c.get('oom-score-adj'), 'yes');
    c.set('shutdown-on-sigint', 'force now');
    assert.equal(c.get('shutdown-on-sigint'), 'now force');
    throwsConfig(() => c.set('shutdown-on-sigint', 'save nosave'),
      failed('shutdown-on-sigint', "shutdown options SAVE and NOSAVE can't be used simultaneously"));
    c.set('hz', '1000');
    assert.equal(c.get('hz'), '500'); // capped as Redis does
    c.set('hz', '0');
    assert.equal(c.values.hz, 1);
    c.set('repl-backlog-size', '1');
    assert.equal(c.get('repl-backlog-size'), '16384');
  });

  test('unknown, immutable and protected directives', () => {
    const c = new Config();
    throwsConfig(() => c.set('foo', 'bar'), "Unknown option or number of arguments for CONFIG SET - 'foo'");
    throwsConfig(() => c.set('daemonize', 'yes'), failed('daemonize', "can't set immutable config"));
    throwsConfig(() => c.set('enable-debug-command', 'yes'), failed('enable-debug-command', "can't set immutable config"));
    throwsConfig(() => c.set('dir', '/'), failed('dir', "can't set protected config"));
    // The first problem in argument order is the one reported.
    throwsConfig(() => c.setMany([['daemonize', 'yes'], ['foo', '1']]), failed('daemonize', "can't set immutable config"));
    throwsConfig(() => c.setMany([['foo', '1'], ['daemonize', 'yes']]), "Unknown option or number of arguments for CONFIG SET - 'foo'");

    c.set('enable-protected-configs', 'local', { startup: true });
    throwsConfig(() => c.set('dbfilename', 'x.rdb'), failed('dbfilename', "can't set protected config"));
    c.set('dbfilename', 'x.rdb', { localClient: true });
    assert.equal(c.get('dbfilename'), 'x.rdb');
    throwsConfig(() => c.set('dbfilename', 'a/b', { localClient: true }), failed('dbfilename', "dbfilename can't be a path, just a filename"));
  });

  test('dir must be an existing directory', () => {
    const c = new Config();
    c.set('enable-protected-configs', 'yes', { startup: true });
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'file'), '');
    c.set('dir', dir);
    assert.equal(c.values.dir, fs.realpathSync(dir));
    c.set('dir', 'sub'); // relative to the current dir, as after Redis's chdir
    assert.equal(c.get('dir'), path.join(fs.realpathSync(dir), 'sub'));
    throwsConfig(() => c.set('dir', path.join(dir, 'missing')), failed('dir', 'No such file or directory'));
    throwsConfig(() => c.set('dir', path.join(dir, 'file')), failed('dir', 'Not a directory'));
  });

  test('special directives', () => {
    const c = new Config();
    c.set('save', '900 1');
    assert.equal(c.get('save'), '900 1');
    c.set('save', '');
    assert.equal(c.get('save'), '');
    throwsConfig(() => c.set('save', '900'), failed('save', 'Invalid save parameters'));
    throwsConfig(() => c.set('save', '0 1'), failed('save', 'Invalid save parameters'));

    c.set('notify-keyspace-events', 'KEA');
    assert.equal(c.get('notify-keyspace-events'), 'AKE');
    assert.equal(c.values.notifyKeyspaceEvents, NOTIFY.ALL | NOTIFY.KEYSPACE | NOTIFY.KEYEVENT);
    c.set('notify-keyspace-events', 'Exg');
    assert.equal(c.get('notify-keyspace-events'), 'gxE');
    throwsConfig(() => c.set('notify-keyspace-events', 'Q'),
      failed('notify-keyspace-events', "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."));

    c.set('client-output-buffer-limit', 'pubsub 1mb 2mb 3');
    assert.equal(c.get('client-output-buffer-limit'), 'normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2097152 3');
    throwsConfig(() => c.set('client-output-buffer-limit', 'master 1 2 3'),
      failed('client-output-buffer-limit', 'Invalid client class specified in buffer limit configuration.'));

    c.set('bind', '0.0.0.0 ::');
    assert.deepEqual(c.values.bind, ['0.0.0.0', '::']);
    c.set('bind', '');
    assert.deepEqual(c.values.bind, []);

    c.set('latency-tracking-info-percentiles', '50 99.99 100');
    assert.equal(c.get('latency-tracking-info-percentiles'), '50 99.99 100');
    throwsConfig(() => c.set('latency-tracking-info-percentiles', '101'), failed('latency-tracking-info-percentiles',
      'latency-tracking-info-percentiles parameters should sit between [0.0,100.0]'));
    throwsConfig(() => c.set('oom-score-adj-values', '1 2'), failed('oom-score-adj-values', 'wrong number of arguments'));
  });

  test('setMany is all or nothing', () => {
    const c = new Config();
    c.set('maxmemory', '10000002');
    throwsConfig(() => c.setMany([['maxmemory', '10000001'], ['maxmemory-clients', '200%'], ['client-query-buffer-limit', 'invalid']]),
      failed('maxmemory-clients', 'percentage argument must be less or equal to 100'));
    assert.equal(c.get('maxmemory'), '10000002');
    assert.equal(c.values.maxmemory, 10000002);
    assert.equal(c.get('client-query-buffer-limit'), '1073741824');

    c.setMany([['maxmemory', '10000001'], ['repl-backlog-size', '10000002'], ['save', '3000 5']]);
    assert.deepEqual([c.get('maxmemory'), c.get('repl-backlog-size'), c.get('save')], ['10000001', '10000002', '3000 5']);
  });

  test('onChange listeners run after a change and may veto it', () => {
    const c = new Config();
    const seen = [];
    c.onChange('maxmemory', (v) => seen.push(['maxmemory', v]));
    c.onChange('port', (v) => {
      seen.push(['port', v]);
      if (v === '1') throw new Error('Unable to listen on this port. Check server logs.');
    });
    c.set('maxmemory', '5');
    c.set('maxmemory', '5'); // unchanged: no call
    assert.deepEqual(seen, [['maxmemory', '5']]);
    seen.length = 0;
    throwsConfig(() => c.setMany([['maxmemory', '6'], ['port', '1']]),
      failed('port', 'Unable to listen on this port. Check server logs.'));
    assert.equal(c.get('maxmemory'), '5');
    assert.equal(c.get('port'), '6379');
    // Listeners that saw the new value are told about the restored one.
    assert.deepEqual(seen, [['maxmemory', '6'], ['port', '1'], ['maxmemory', '5'], ['port', '6379']]);
  });
});

describe('CONFIG GET matching', () => {
  test('patterns, aliases, hidden directives and duplicates', () => {
    const c = new Config();
    assert.equal(c.matching('*').length, 192); // 178 directives + 19 aliases - 5 hidden
    const res = new Map(c.matching(['maxmemory', 'maxmemory*', 'bind', '*of']));
    assert.equal(res.size, c.matching(['maxmemory', 'maxmemory*', 'bind', '*of']).length);
    for (const n of ['maxmemory', 'maxmemory-samples', 'maxmemory-clients', 'bind', 'replicaof', 'slaveof']) assert.ok(res.has(n), n);
    assert.deepEqual(c.matching('PORT'), [['PORT', '6379']]); // an exact name answers as given
    assert.deepEqual(c.matching(['port', 'PORT']), [['port', '6379']]);
    assert.deepEqual(c.matching('*PORT').map(([n]) => n).sort().slice(0, 2), ['cluster-announce-bus-port', 'cluster-announce-port']);
    assert.deepEqual(c.matching('key-load-delay'), [['key-load-delay', '0']]);
    assert.deepEqual(c.matching('key-load*'), []);
    assert.deepEqual(c.matching('nope'), []);
  });
});

describe('splitArgs', () => {
  test('quoting and escapes', () => {
    assert.deepEqual(splitArgs('set  a\tb'), ['set', 'a', 'b']);
    assert.deepEqual(splitArgs('  '), []);
    assert.deepEqual(splitArgs('"a b" \'c d\''), ['a b', 'c d']);
    assert.deepEqual(splitArgs('"\\n\\r\\t\\b\\a\\\\\\"\\z"'), ['\n\r\t\b\x07\\"z']);
    assert.deepEqual(splitArgs('"\\x41\\x4g"'), ['Ax4g']);
    assert.deepEqual(splitArgs("'it\\'s' '\\n'"), ["it's", '\\n']);
    assert.deepEqual(splitArgs('a"b c" d'), ['ab c', 'd']);
    assert.deepEqual(splitArgs('"" \'\''), ['', '']);
    assert.deepEqual(splitArgs('a\x0bb'), ['a\x0bb']); // \v only separates between arguments
    assert.deepEqual(splitArgs('a\0b c'), ['a']); // a NUL ends the line, as for C strings
    assert.deepEqual(splitArgs('"\xe9\xff"'), ['\xe9\xff']);
  });

  test('unbalanced quotes', () => {
    for (const line of ['"a', "'a", 'a"b c"d', '"a"b', "'a'b", '"a\\"', 'x "', '"\\']) assert.equal(splitArgs(line), null, line);
  });

  test('reprArg quotes any byte string so splitArgs reads it back', () => {
    assert.equal(reprArg('a "b"\n\x01\xe9'), '"a \\"b\\"\\n\\x01\\xe9"');
    fc.assert(fc.property(fc.string({ unit: 'binary' }).map((s) => s.replace(/[^\x01-\xff]/g, 'x')), (s) => {
      assert.deepEqual(splitArgs(reprArg(s)), [s]);
      assert.deepEqual(splitArgs(`${reprArg(s)} ${reprArg(s)}`), [s, s]);
    }));
  });
});

describe('startup', () => {
  test('config file, include and command line', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'extra.conf'), 'maxmemory 2mb\nhash-max-ziplist-entries 21\n');
    const file = path.join(dir, 'redis.conf');
    fs.writeFileSync(file, [
      '# a comment', '', '  port 7000  ', 'save 900 1', 'save 300 10', `include ${path.join(dir, 'extra.conf')}`,
      'hash-max-listpack-entries 20', 'requirepass "p\\x41ss word"', 'rename-command flushdb ""',
      'user alice on >pw', 'bind 127.0.0.1 ::1', 'list-max-ziplist-entries 512', 'unixsocketperm 700',
    ].join('\n'));
    const c = loadStartupConfig([file, '--port', '7001', '--loglevel', 'warning', '--maxmemory 3mb', '--bind', '0.0.0.0', '::']);
    assert.equal(c.configFile, file);
    assert.equal(c.get('port'), '7001'); // the command line comes after the file
    assert.equal(c.get('save'), '900 1 300 10'); // save lines of the file accumulate
    assert.equal(c.get('hash-max-listpack-entries'), '20');
    assert.equal(c.get('maxmemory'), '3145728');
    assert.equal(c.get('requirepass'), 'pAss word');
    assert.equal(c.get('loglevel'), 'warning');
    assert.equal(c.get('unixsocketperm'), '700');
    assert.deepEqual(c.values.bind, ['0.0.0.0', '::']);
    assert.deepEqual(c.renameCommands.map((d) => d.args), [['flushdb', '']]);
    assert.deepEqual(c.users.map((d) => d.args), [['user', 'alice', 'on', '>pw']]);
  });

  test('command-line forms redis-server accepts', () => {
    assert.equal(loadStartupConfig(['--save', '--loglevel', 'verbose']).get('save'), '');
    assert.equal(loadStartupConfig(['--loglevel', 'verbose', '--save']).get('save'), '');
    assert.equal(loadStartupConfig(['--save', '900', '1', '300', '10']).get('save'), '900 1 300 10');
    assert.equal(loadStartupConfig(['--save', '60 5']).get('save'), '60 5');
    const c = loadStartupConfig(['--proc-title-template', '--my--title--template', '--shutdown-on-sigint', 'nosave', 'force', 'now']);
    assert.equal(c.get('proc-title-template'), '--my--title--template');
    assert.equal(c.get('shutdown-on-sigint'), 'nosave now force');
    assert.equal(loadStartupConfig(["--maxmemory '700mb'"]).get('maxmemory'), '734003200');
    assert.equal(loadStartupConfig([]).configFile, undefined);
  });

  test('errors are reported like redis-server', () => {
    const fatal = (line, where, reason) =>
      `*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line ${where}\n>>> '${line}'\n${reason}`;
    throwsConfig(() => loadStartupConfig(['--foo', 'bar']), fatal('foo "bar"', 2, 'Bad directive or wrong number of arguments'));
    throwsConfig(() => loadStartupConfig(['--port']), fatal('port', 2, 'wrong number of arguments'));
    throwsConfig(() => loadStartupConfig(['--port', '6379', '6380']), fatal('port "6379" "6380"', 2, 'wrong number of arguments'));
    throwsConfig(() => loadStartupConfig(['--port', '--bla', '--loglevel', 'verbose']),
      fatal('port "--bla"', 2, "argument couldn't be parsed into an integer"));
    throwsConfig(() => loadStartupConfig(['--replicaof', '127.0.0.1', 'abc']), fatal('replicaof "127.0.0.1" "abc"', 2, 'Invalid master port'));
    throwsConfig(() => loadStartupConfig(['--shutdown-on-sigint']),
      fatal('shutdown-on-sigint', 2, 'argument(s) must be one of the following: default, save, nosave, now, force'));

    const dir = tempDir();
    const file = path.join(dir, 'bad.conf');
    fs.writeFileSync(file, 'port 6379\nfoo bar\n');
    throwsConfig(() => loadStartupConfig([file]), fatal('foo bar', 2, 'Bad directive or wrong number of arguments'));
    fs.writeFileSync(file, '# x\n  maxmemory "1x"  \n');
    throwsConfig(() => loadStartupConfig([file]), fatal('maxmemory "1x"', 2, 'argument must be a memory value'));
    fs.writeFileSync(file, 'bind "a\n');
    throwsConfig(() => loadStartupConfig([file]), fatal('bind "a', 1, 'Unbalanced quotes in configuration line'));
    fs.writeFileSync(file, 'logfile /nonexistent-dir/x.log\n');
    throwsConfig(() => loadStartupConfig([file]),
      "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: No such file or directory");
    const missing = path.join(dir, 'missing.conf');
    throwsConfig(() => loadStartupConfig([missing]), `Fatal error, can't open config file '${missing}': No such file or directory`);
  });
});

describe('CONFIG REWRITE', () => {
  test('keeps comments and unknown lines, replaces in place, appends new values', () => {
    const dir = tempDir();
    const file = path.join(dir, 'redis.conf');
    fs.writeFileSync(file, [
      '# my settings', 'port 7000', 'slave-read-only yes', '', '', '# saves', 'save 900 1', 'save 300 10',
      'rename-command flushall ""', 'bogus directive here', 'maxmemory 1mb',
    ].join('\n') + '\n');
    const c = new Config();
    c.configFile = file;
    c.setMany([['port', '7001'], ['replica-read-only', 'no'], ['save', '60 5'], ['maxmemory', '2gb'], ['timeout', '30'],
      ['notify-keyspace-events', 'Ex']]);
    c.rewrite(undefined, { users: [] });
    const text = fs.readFileSync(file, 'latin1');
    assert.equal(text, [
      '# my settings', 'port 7001', 'replica-read-only no', '', '# saves', 'save 60 5', '',
      'rename-command flushall ""', '# ??? bogus directive here', 'maxmemory 2gb', '',
      '# Generated by CONFIG REWRITE', 'timeout 30', `dir "${fs.realpathSync(process.cwd())}"`, 'notify-keyspace-events "xE"',
      'latency-tracking-info-percentiles 50 99 99.9', '',
    ].join('\n'));
  });

  test('round-trips through startup parsing', () => {
    const dir = tempDir();
    const file = path.join(dir, 'redis.conf');
    fs.writeFileSync(file, 'port 7000\n');
    const c = loadStartupConfig([file]);
    c.set('enable-protected-configs', 'yes', { startup: true });
    c.setMany([['save', ''], ['bind', '0.0.0.0'], ['requirepass', 'a "quoted"\npass'], ['maxmemory-clients', '5%'],
      ['client-output-buffer-limit', 'replica 1gb 512mb 30'], ['shutdown-on-sigterm', 'nosave now'], ['dir', dir]]);
    c.rewrite(undefined, { users: [] });
    const again = loadStartupConfig([file]);
    assert.deepEqual(again.matching('*'), c.matching('*'));
    c.rewrite(undefined, { forceAll: true, users: [] });
    assert.deepEqual(loadStartupConfig([file]).matching('*'), c.matching('*'));
  });

  test('errors', () => {
    throwsConfig(() => new Config().rewrite(undefined, { users: [] }), 'The server is running without a config file');
    throwsConfig(() => new Config().rewrite('/nonexistent-dir/redis.conf', { users: [] }), 'Rewriting config file: No such file or directory');
  });
});
