// Real client libraries and tools against the server: ioredis, node-redis and redis-cli.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startServer, rawConnect, resp } from './helpers.mjs';

const REDIS_CLI = '/usr/bin/redis-cli';

describe('real clients', () => {
  let server;

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await server?.stop();
  });

  afterEach(() => {
    // Name a crash where it happens, rather than as connection errors in the tests after it.
    assert.equal(server.proc.exitCode, null, `the server exited:\n${server.output().slice(-2000)}`);
  });

  /** Runs redis-cli against the server; returns { status, stdout, stderr }. */
  function cli(args, { input, timeout = 10_000 } = {}) {
    const result = spawnSync(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(server.port), ...args], {
      input,
      timeout,
      encoding: 'latin1',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.error) throw result.error;
    return result;
  }

  /** Runs a command on a raw connection and returns its reply line (for checks outside the client under test). */
  async function raw(db, ...args) {
    const conn = await rawConnect(server.port);
    try {
      await conn.roundTrip(resp('SELECT', db), '+OK\r\n');
      conn.write(resp(...args));
      let line = '';
      while (!line.endsWith('\r\n')) line += await conn.read(1);
      return line;
    } finally {
      conn.close();
    }
  }

  describe('ioredis', () => {
    let redis;

    before(async () => {
      redis = new Redis({
        host: '127.0.0.1',
        port: server.port,
        db: 3,
        connectionName: 'app',
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      redis.on('error', () => {});
    });

    after(async () => {
      if (redis.status !== 'end') redis.disconnect();
    });

    it('connects and becomes ready through its INFO-based ready check', async () => {
      assert.equal(redis.options.enableReadyCheck, true);
      const ready = new Promise((resolve) => redis.once('ready', resolve));
      await redis.connect();
      await ready;
      assert.equal(redis.status, 'ready');
    });

    it('names the connection and selects the database it was given', async () => {
      assert.equal(await redis.client('GETNAME'), 'app');
      assert.equal(await redis.set('io:key', 'io-value'), 'OK');
      assert.equal(await redis.get('io:key'), 'io-value');
      // The key landed in database 3, not 0.
      assert.equal(await raw(3, 'EXISTS', 'io:key'), ':1\r\n');
      assert.equal(await raw(0, 'EXISTS', 'io:key'), ':0\r\n');
      assert.match(await redis.info('keyspace'), /^db3:keys=1,/m);
    });

    it('runs a pipeline of 100 commands and gets every reply in order', async () => {
      const pipeline = redis.pipeline();
      for (let i = 0; i < 50; i++) pipeline.set(`io:p:${i}`, `v${i}`);
      for (let i = 0; i < 50; i++) pipeline.get(`io:p:${i}`);
      const results = await pipeline.exec();
      assert.equal(results.length, 100);
      for (let i = 0; i < 50; i++) {
        assert.deepEqual(results[i], [null, 'OK']);
        assert.deepEqual(results[50 + i], [null, `v${i}`]);
      }
    });

    it('round-trips binary keys and values as Buffers', async () => {
      const key = Buffer.from([0x69, 0x6f, 0x00, 0xff, 0x0d, 0x0a, 0x80]);
      const value = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
      assert.equal(await redis.set(key, value), 'OK');
      const got = await redis.getBuffer(key);
      assert.ok(Buffer.isBuffer(got));
      assert.ok(got.equals(value), 'same bytes back');
      const invalidUtf8 = Buffer.from([0xc3, 0x28, 0xe2, 0x82]);
      await redis.set('io:utf8', invalidUtf8);
      assert.ok((await redis.getBuffer('io:utf8')).equals(invalidUtf8));
      assert.equal(await redis.getBuffer('io:missing'), null);
    });

    it('reports server errors as rejected promises and stays usable', async () => {
      await assert.rejects(redis.call('NOSUCHCOMMAND', 'a'), /unknown command 'NOSUCHCOMMAND'/);
      await assert.rejects(redis.call('GET'), /wrong number of arguments for 'get' command/);
      assert.equal(await redis.ping(), 'PONG');
    });

    it('quits cleanly', async () => {
      assert.equal(await redis.quit(), 'OK');
      await new Promise((resolve) => (redis.status === 'end' ? resolve() : redis.once('end', resolve)));
    });
  });

  describe('node-redis', () => {
    it('connects, sets and gets, then closes cleanly (RESP2)', async () => {
      const client = createClient({ url: `redis://127.0.0.1:${server.port}`, socket: { reconnectStrategy: false } });
      const errors = [];
      client.on('error', (e) => errors.push(e));
      await client.connect();
      assert.equal(client.isReady, true);
      assert.equal(await client.set('nr:key', 'nr-value'), 'OK');
      assert.equal(await client.get('nr:key'), 'nr-value');
      assert.equal(await client.get('nr:missing'), null);
      assert.equal(await client.ping(), 'PONG');
      // Auto-pipelining: commands issued in the same tick are written together.
      const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => client.echo(`m${i}`)));
      assert.deepEqual(replies, Array.from({ length: 100 }, (_, i) => `m${i}`));
      await client.close();
      assert.equal(client.isOpen, false);
      assert.deepEqual(errors, []);
    });

    it('negotiates RESP3 with HELLO 3 and reads RESP3 replies', async () => {
      const client = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP: 3, name: 'nr3', socket: { reconnectStrategy: false } });
      const errors = [];
      client.on('error', (e) => errors.push(e));
      await client.connect();
      assert.equal(await client.set('nr:key3', 'v3'), 'OK');
      assert.equal(await client.get('nr:key3'), 'v3');
      assert.equal(await client.get('nr:missing'), null);
      assert.equal(await client.clientGetName(), 'nr3');
      const hello = await client.sendCommand(['HELLO']);
      assert.equal(hello.proto, 3);
      assert.equal(hello.version, '7.0.15');
      await client.close();
      assert.deepEqual(errors, []);
    });

    it('keeps a client-side cache that the server invalidates (RESP3 CLIENT TRACKING)', async () => {
      const url = `redis://127.0.0.1:${server.port}`;
      const cached = createClient({ url, RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0 }, socket: { reconnectStrategy: false } });
      const writer = createClient({ url, socket: { reconnectStrategy: false } });
      await Promise.all([cached.connect(), writer.connect()]);
      try {
        await writer.set('nr:csc', 'v1');
        assert.equal(await cached.get('nr:csc'), 'v1');
        assert.equal(await cached.get('nr:csc'), 'v1');
        assert.equal(cached.clientSideCache.stats().hitCount, 1, 'the second read came from the cache');
        await writer.set('nr:csc', 'v2');
        // The invalidation travels on the cached connection; a round trip on it has seen it.
        await cached.ping();
        assert.equal(await cached.get('nr:csc'), 'v2', 'the stale entry was dropped');
      } finally {
        cached.destroy();
        writer.destroy();
      }
    });

    it('subscribes to channels and patterns, keyspace events included', async () => {
      const url = `redis://127.0.0.1:${server.port}`;
      const subscriber = createClient({ url, socket: { reconnectStrategy: false } });
      const publisher = createClient({ url, socket: { reconnectStrategy: false } });
      await Promise.all([subscriber.connect(), publisher.connect()]);
      try {
        const received = [];
        let done;
        const finished = new Promise((resolve) => (done = resolve));
        await subscriber.subscribe('nr:news', (message, channel) => {
          received.push([channel, message]);
          if (message === 'last') done();
        });
        await subscriber.pSubscribe('__keyevent@0__:*', (message, channel) => received.push([channel, message]));
        await publisher.configSet('notify-keyspace-events', 'E$');
        await publisher.publish('nr:news', 'first');
        await publisher.set('nr:watched', '1');
        await publisher.publish('nr:news', 'last');
        await finished;
        assert.deepEqual(received, [['nr:news', 'first'], ['__keyevent@0__:set', 'nr:watched'], ['nr:news', 'last']]);
      } finally {
        await publisher.configSet('notify-keyspace-events', '');
        subscriber.destroy();
        publisher.destroy();
      }
    });

    it('round-trips a binary value', async () => {
      const client = createClient({ url: `redis://127.0.0.1:${server.port}`, socket: { reconnectStrategy: false } });
      client.on('error', () => {});
      await client.connect();
      const value = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x0d, 0x0a]);
      await client.set('nr:bin', value);
      const got = await client.sendCommand(['GET', 'nr:bin'], { typeMapping: { 36: Buffer } });
      assert.ok(Buffer.isBuffer(got) && got.equals(value));
      client.destroy();
    });
  });

  describe('redis-cli', () => {
    it('runs one-shot commands', () => {
      assert.equal(cli(['set', 'cli:k', 'v']).stdout, 'OK\n');
      assert.equal(cli(['get', 'cli:k']).stdout, 'v\n');
      assert.equal(cli(['get', 'cli:missing']).stdout, '\n');
      assert.equal(cli(['incr', 'cli:n']).stdout, '1\n');
      const unknown = cli(['nosuchcommand']);
      assert.match(unknown.stdout + unknown.stderr, /ERR unknown command 'nosuchcommand'/);
    });

    it('speaks RESP3 with -3', () => {
      cli(['set', 'cli:r3', 'three']);
      assert.equal(cli(['-3', 'ping']).stdout, 'PONG\n');
      assert.equal(cli(['-3', 'get', 'cli:r3']).stdout, 'three\n');
      assert.equal(cli(['-3', 'get', 'cli:missing']).stdout, '\n');
      assert.match(cli(['-3', 'hello', '3']).stdout, /^proto 3$/m);
    });

    it('shows the Redis version in INFO server', () => {
      const info = cli(['info', 'server']).stdout;
      assert.match(info, /^# Server\r?$/m);
      assert.match(info, /^redis_version:7\.0\.15\r?$/m);
      assert.match(info, /^tcp_port:\d+\r?$/m);
    });

    it('gets COMMAND DOCS, which interactive redis-cli requests on start', () => {
      const result = cli(['command', 'docs', 'get']);
      assert.equal(result.status, 0);
      assert.doesNotMatch(result.stdout, /ERR/);
      assert.match(result.stdout, /^get\nsummary\n/);
      assert.match(result.stdout, /^since\n1\.0\.0$/m);
    });

    it('sends argument flags in COMMAND DOCS as simple strings, as redis-cli requires', async () => {
      // redis-cli's hint parser asserts that every argument flag is a status reply.
      const conn = await rawConnect(server.port);
      let reply = '';
      conn.socket.on('data', (d) => (reply += d.toString('latin1')));
      try {
        conn.write(resp('COMMAND', 'DOCS', 'set'));
        // Wait until the reply stops growing.
        for (let seen = -1, deadline = Date.now() + 2000; seen !== reply.length && Date.now() < deadline; ) {
          seen = reply.length;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.match(reply, /^\*2\r\n\$3\r\nset\r\n/);
        assert.match(reply, /\$5\r\nflags\r\n\*1\r\n\+optional\r\n/);
        assert.doesNotMatch(reply, /\$5\r\nflags\r\n\*1\r\n\$8\r\noptional\r\n/);
      } finally {
        conn.close();
      }
    });

    it('works interactively through a pseudo-terminal', async () => {
      const prompt = `127.0.0.1:${server.port}> `;
      // `script` gives redis-cli a terminal; TERM=dumb keeps linenoise from querying the cursor position.
      const child = spawn('script', ['-qec', `${REDIS_CLI} -h 127.0.0.1 -p ${server.port}`, '/dev/null'], {
        env: { ...process.env, TERM: 'dumb' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d.toString('latin1')));
      let hasExited = false;
      const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code, (hasExited = true))));
      const waitFor = async (text, from) => {
        const deadline = Date.now() + 5000;
        while (output.indexOf(text, from) < 0) {
          assert.ok(Date.now() < deadline && !hasExited, `no ${JSON.stringify(text)} in ${JSON.stringify(output)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const run = async (line) => {
        const from = output.length;
        child.stdin.write(`${line}\r`);
        await waitFor(`\n${prompt}`, from);
        return output.slice(from).replace(/\r/g, '');
      };
      try {
        await waitFor(prompt, 0);
        assert.equal(await run('ping'), `ping\nPONG\n${prompt}`);
        assert.equal(await run('set ia "i b"'), `set ia "i b"\nOK\n${prompt}`);
        assert.equal(await run('get ia'), `get ia\n"i b"\n${prompt}`);
        assert.equal(await run('get nosuch'), `get nosuch\n(nil)\n${prompt}`);
        assert.equal(await run('incr ia'), `incr ia\n(error) ERR value is not an integer or out of range\n${prompt}`);
        child.stdin.write('quit\r');
        let timer;
        const code = await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000, 'timeout')))]);
        clearTimeout(timer);
        assert.equal(code, 0, 'redis-cli exits after quit');
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('bulk-loads 10000 SET commands with --pipe', () => {
      let input = '';
      for (let i = 0; i < 10000; i++) input += resp('SET', `pipe:${i}`, `value-${i}`);
      const result = cli(['-n', '1', '--pipe'], { input });
      assert.equal(result.status, 0, `redis-cli --pipe failed: ${result.stdout}${result.stderr}`);
      assert.match(result.stdout, /errors: 0, replies: 10000/);
      assert.equal(cli(['-n', '1', 'dbsize']).stdout, '10000\n');
      assert.equal(cli(['-n', '1', 'get', 'pipe:9999']).stdout, 'value-9999\n');
    });

    it('lists exactly the matching keys with --scan --pattern', () => {
      const args = ['-n', '2'];
      let input = '';
      const users = [];
      for (let i = 0; i < 150; i++) {
        users.push(`user:${i}`);
        input += resp('SET', `user:${i}`, 'u') + resp('SET', `other:${i}`, 'o');
      }
      input += resp('SET', 'users', 'x') + resp('SET', 'xuser:1', 'x');
      const load = cli([...args, '--pipe'], { input });
      assert.match(load.stdout, /errors: 0, replies: 302/);
      const scanned = cli([...args, '--scan', '--pattern', 'user:*']).stdout.split('\n').filter(Boolean);
      assert.deepEqual(scanned.sort(), users.sort());
      assert.equal(cli([...args, '--scan', '--pattern', 'nomatch:*']).stdout, '');
    });
  });
});
