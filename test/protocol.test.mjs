// Wire-protocol behaviour over raw sockets, byte for byte: inline and RESP
// framing, protocol errors, limits, pipelining, split packets, binary safety,
// error texts, RESP3, maxclients, CLIENT REPLY, authentication, and a fuzzer.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import { startServer, rawConnect as rawConnectWithTimeout, resp, sleep } from './helpers.mjs';

/** Real Redis answers all of these within milliseconds: give up on a reply after 2 s. */
const REPLY_TIMEOUT = 2000;

/** The helpers' raw connection, with the shorter wait. */
const rawConnect = (port) => rawConnectWithTimeout(port, REPLY_TIMEOUT);

/** Reads bytes until `suffix` has been received; returns them all. */
async function readUntil(conn, suffix) {
  let got = '';
  while (!got.endsWith(suffix)) {
    const c = await conn.read(1);
    if (c === '') throw new Error(`connection closed after ${JSON.stringify(got)}`);
    got += c;
  }
  return got;
}

/** Reads everything that is left once the peer has closed the connection. */
async function rest(conn) {
  await conn.waitClosed();
  return conn.read(1 << 20);
}

describe('wire protocol', () => {
  let server;
  /** A client that stays connected throughout, to show others are unaffected by one client's errors. */
  let other;

  before(async () => {
    server = await startServer(['--enable-debug-command', 'yes']);
    other = await rawConnect(server.port);
  });

  after(async () => {
    other?.close();
    await server?.stop();
  });

  afterEach(() => {
    // Name a crash where it happens, rather than as connection errors in the tests after it.
    assert.equal(server.proc.exitCode, null, `the server exited:\n${server.output().slice(-2000)}`);
  });

  async function otherStillWorks() {
    assert.equal(await other.roundTrip('PING\r\n', '+PONG\r\n'), '+PONG\r\n');
  }

  /**
   * Sends `request` (valid commands followed by a bad one) on a fresh
   * connection, and checks the exact bytes before the close, then that the
   * server closed the connection and another client is unaffected.
   */
  async function expectProtocolError(request, expected) {
    const conn = await rawConnect(server.port);
    try {
      conn.write(request);
      assert.equal(await conn.read(Buffer.byteLength(expected, 'latin1')), expected);
      assert.equal(await rest(conn), '', 'nothing more after the protocol error, and the connection is closed');
    } finally {
      conn.close();
    }
    await otherStillWorks();
  }

  describe('inline commands', () => {
    it('answers PING sent inline with +PONG', async () => {
      const conn = await rawConnect(server.port);
      assert.equal(await conn.roundTrip('PING\r\n', '+PONG\r\n'), '+PONG\r\n');
      assert.equal(await conn.roundTrip('ping hello\r\n', '$5\r\nhello\r\n'), '$5\r\nhello\r\n');
      conn.close();
    });

    it('splits double- and single-quoted arguments', async () => {
      const conn = await rawConnect(server.port);
      assert.equal(await conn.roundTrip(`SET "a b" 'c d'\r\n`, '+OK\r\n'), '+OK\r\n');
      assert.equal(await conn.roundTrip(`GET "a b"\r\n`, '$3\r\nc d\r\n'), '$3\r\nc d\r\n');
      assert.equal(await conn.roundTrip(resp('GET', 'a b'), '$3\r\nc d\r\n'), '$3\r\nc d\r\n');
      assert.equal(await conn.roundTrip(`   ECHO    x   \r\n`, '$1\r\nx\r\n'), '$1\r\nx\r\n');
      conn.close();
    });

    it('decodes escapes in double quotes and \\\' in single quotes', async () => {
      const conn = await rawConnect(server.port);
      // \x41 is "A", then \n \t \" \\ \r \a \b; an unknown escape \z stands for z.
      const line = 'ECHO "\\x41\\n\\t\\"q\\"\\\\\\r\\a\\b\\z\\xff"\r\n';
      const value = 'A\n\t"q"\\\r\x07\bz\xff';
      const expected = `$${value.length}\r\n${value}\r\n`;
      assert.equal(await conn.roundTrip(line, expected), expected);
      // In single quotes only \' is an escape; other backslashes stay.
      assert.equal(await conn.roundTrip(`ECHO 'it\\'s \\n'\r\n`, "$7\r\nit's \\n\r\n"), "$7\r\nit's \\n\r\n");
      // Quotes may start in the middle of an argument.
      assert.equal(await conn.roundTrip('ECHO a"b c"\r\n', '$4\r\nab c\r\n'), '$4\r\nab c\r\n');
      assert.equal(await conn.roundTrip('ECHO ""\r\n', '$0\r\n\r\n'), '$0\r\n\r\n');
      conn.close();
    });

    it('accepts bare \\n line endings', async () => {
      const conn = await rawConnect(server.port);
      assert.equal(await conn.roundTrip('PING\n', '+PONG\r\n'), '+PONG\r\n');
      assert.equal(await conn.roundTrip('ECHO a\nECHO b\r\nECHO c\n', '$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n'), '$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n');
      conn.close();
    });

    it('ignores empty and blank lines without replying', async () => {
      const conn = await rawConnect(server.port);
      assert.equal(await conn.roundTrip('\r\n\n   \r\n\t\nPING\r\n\r\n', '+PONG\r\n'), '+PONG\r\n');
      assert.equal(await conn.roundTrip('ECHO last\r\n', '$4\r\nlast\r\n'), '$4\r\nlast\r\n', 'no stray reply for the blank lines');
      conn.close();
    });

    it('mixes inline and RESP requests in one packet', async () => {
      const conn = await rawConnect(server.port);
      const expected = '+PONG\r\n$1\r\na\r\n+PONG\r\n$1\r\nb\r\n';
      assert.equal(await conn.roundTrip(`PING\r\n${resp('ECHO', 'a')}PING\n${resp('ECHO', 'b')}`, expected), expected);
      conn.close();
    });
  });

  describe('protocol errors reply, then close the connection', () => {
    const lead = `PING\r\n${resp('ECHO', 'first')}`;
    const leadReplies = '+PONG\r\n$5\r\nfirst\r\n';

    it('refuses a multibulk length above 2^31-1', async () => {
      await expectProtocolError(`${lead}*3000000000\r\n`, `${leadReplies}-ERR Protocol error: invalid multibulk length\r\n`);
    });

    it('refuses a multibulk length that is not a number', async () => {
      await expectProtocolError(`${lead}*x\r\n`, `${leadReplies}-ERR Protocol error: invalid multibulk length\r\n`);
      await expectProtocolError(`${lead}*01\r\n`, `${leadReplies}-ERR Protocol error: invalid multibulk length\r\n`);
    });

    it("refuses an argument that does not start with '$'", async () => {
      await expectProtocolError(`${lead}*1\r\nfoo\r\n`, `${leadReplies}-ERR Protocol error: expected '$', got 'f'\r\n`);
    });

    it('refuses a negative bulk length', async () => {
      await expectProtocolError(`${lead}*1\r\n$-10\r\n`, `${leadReplies}-ERR Protocol error: invalid bulk length\r\n`);
    });

    it('refuses a bulk length that is not a number', async () => {
      await expectProtocolError(`${lead}*1\r\n$blabla\r\n`, `${leadReplies}-ERR Protocol error: invalid bulk length\r\n`);
    });

    it('refuses a bulk length above proto-max-bulk-len', async () => {
      await expectProtocolError(`${lead}*1\r\n$2000000000\r\n`, `${leadReplies}-ERR Protocol error: invalid bulk length\r\n`);
    });

    it('refuses unbalanced quotes in an inline command', async () => {
      await expectProtocolError(`${lead}SET "a b\r\n`, `${leadReplies}-ERR Protocol error: unbalanced quotes in request\r\n`);
      await expectProtocolError(`${lead}SET 'a b\r\n`, `${leadReplies}-ERR Protocol error: unbalanced quotes in request\r\n`);
      // A closing quote must be followed by a blank or the end of the line.
      await expectProtocolError(`${lead}SET "a"b c\r\n`, `${leadReplies}-ERR Protocol error: unbalanced quotes in request\r\n`);
    });

    it('refuses an inline request longer than 64KB without a newline', async () => {
      await expectProtocolError(`${lead}${'a'.repeat(70 * 1024)}`, `${leadReplies}-ERR Protocol error: too big inline request\r\n`);
    });

    it('never runs an inline request whose newline comes after a NUL byte, and refuses it once it passes 64KB', async () => {
      // Redis looks for the newline with strchr, which stops at the NUL: the line never ends.
      const conn = await rawConnect(server.port);
      try {
        conn.write('PING\0x\r\nPING\r\n');
        await sleep(200);
        conn.write('a'.repeat(70 * 1024));
        assert.equal(await rest(conn), '-ERR Protocol error: too big inline request\r\n');
      } finally {
        conn.close();
      }
      await otherStillWorks();
    });

    for (const [header, error] of [['*1\0\r\n$4\r\nPING\r\n', 'too big mbulk count string'], ['*1\r\n$4\0\r\nPING\r\n', 'too big bulk count string']]) {
      it(`never ends a header with a NUL byte before its \\r (${error})`, async () => {
        // Redis finds the header's '\r' with strchr, which stops at the NUL: nothing after it ever runs.
        const conn = await rawConnect(server.port);
        try {
          conn.write(`PING\r\n${header}PING\r\n`);
          await sleep(200);
          conn.write('a'.repeat(70 * 1024));
          assert.equal(await rest(conn), `+PONG\r\n-ERR Protocol error: ${error}\r\n`);
        } finally {
          conn.close();
        }
        await otherStillWorks();
      });
    }

    it('skips the commands after the bad request in the same packet', async () => {
      await expectProtocolError(`${lead}*1\r\nfoo\r\nPING\r\n`, `${leadReplies}-ERR Protocol error: expected '$', got 'f'\r\n`);
    });

    it('refuses an oversized bulk from its header alone, before the payload arrives', async () => {
      const conn = await rawConnect(server.port);
      try {
        conn.write('*2\r\n$3\r\nGET\r\n$600000000\r\n');
        const expected = '-ERR Protocol error: invalid bulk length\r\n';
        assert.equal(await conn.read(expected.length, 2000), expected);
        await conn.waitClosed(2000);
      } finally {
        conn.close();
      }
      await otherStillWorks();
    });

    it('treats *0 and *-1 as no command at all', async () => {
      const conn = await rawConnect(server.port);
      assert.equal(await conn.roundTrip('*0\r\n*-1\r\nPING\r\n', '+PONG\r\n'), '+PONG\r\n');
      assert.equal(await conn.roundTrip('ECHO x\r\n', '$1\r\nx\r\n'), '$1\r\nx\r\n');
      conn.close();
    });
  });

  describe('pipelining', () => {
    it('answers 1000 commands sent in one write, in order', async () => {
      const conn = await rawConnect(server.port);
      let request = resp('DEL', 'pipe:counter');
      let expected = ':0\r\n';
      for (let i = 1; i <= 1000; i++) {
        request += i % 2 ? resp('INCR', 'pipe:counter') : `ECHO e${i}\r\n`;
        expected += i % 2 ? `:${(i + 1) / 2}\r\n` : `$${String(i).length + 1}\r\ne${i}\r\n`;
      }
      assert.equal(await conn.roundTrip(request, expected), expected);
      conn.close();
    });

    it('replies to a pipeline delivered in a single packet in a few TCP chunks, not one per command', async () => {
      const conn = await rawConnect(server.port);
      let chunks = 0;
      conn.socket.on('data', () => chunks++);
      const request = resp('PING').repeat(1000); // 14 bytes each: one 14KB write
      const expected = '+PONG\r\n'.repeat(1000);
      assert.equal(await conn.roundTrip(request, expected), expected);
      assert.ok(chunks <= 10, `replies arrived in ${chunks} chunks`);
      conn.close();
    });

    it('keeps the replies of a peer that stops reading in order, counted in omem, until it reads them', async () => {
      const values = ['a', 'b', 'c', 'd'].map((c) => c.repeat(200_000));
      const setup = await rawConnect(server.port);
      for (let i = 0; i < values.length; i++) {
        assert.equal(await setup.roundTrip(resp('SET', `slow:${i}`, values[i]), '+OK\r\n'), '+OK\r\n');
      }
      const reader = net.connect(server.port, '127.0.0.1');
      await once(reader, 'connect');
      reader.pause();
      reader.write(resp('CLIENT', 'SETNAME', 'slowreader'));
      // 40 MB of replies in 20 separate reads: far more than the kernel's socket buffers take.
      const requests = 200;
      for (let batch = 0; batch < 20; batch++) {
        let request = '';
        for (let i = batch * 10; i < batch * 10 + 10; i++) request += resp('GET', `slow:${i % 4}`);
        reader.write(request);
        await sleep(5);
      }
      let omem = 0;
      for (let tries = 0; tries < 50 && omem === 0; tries++) {
        await sleep(20);
        setup.write(resp('CLIENT', 'LIST'));
        const header = await setup.readUntil('\r\n');
        const list = await setup.read(Number(header.slice(1, -2)) + 2);
        omem = Number(/name=slowreader .*?omem=(\d+)/.exec(list)?.[1] ?? 0);
      }
      assert.ok(omem > 1_000_000, `omem of the paused reader: ${omem}`);
      const expected = '+OK\r\n' + Array.from({ length: requests }, (_, i) => `$200000\r\n${values[i % 4]}\r\n`).join('');
      const chunks = [];
      let length = 0;
      reader.on('data', (chunk) => {
        chunks.push(chunk);
        length += chunk.length;
      });
      reader.resume();
      const deadline = Date.now() + 10_000;
      while (length < expected.length && Date.now() < deadline) await sleep(20);
      assert.equal(length, expected.length);
      assert.ok(Buffer.concat(chunks).toString('latin1') === expected, 'replies arrived out of order or damaged');
      reader.destroy();
      setup.close();
    });
  });

  describe('binary safety', () => {
    it('round-trips keys and values with NUL, CRLF, high bytes and invalid UTF-8', async () => {
      const conn = await rawConnect(server.port);
      const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
      const pairs = [
        ['bin:\0key\r\n', 'val\0ue\r\n\r\n'],
        ['bin:\x80\xff\xfe', '\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc'],
        ['bin:all', all],
        [all, all.split('').reverse().join('')],
        ['bin:*1\r\n$3\r\n', '$-1\r\n*0\r\n-ERR\r\n'],
      ];
      for (const [key, value] of pairs) {
        assert.equal(await conn.roundTrip(resp('SET', key, value), '+OK\r\n'), '+OK\r\n');
      }
      for (const [key, value] of pairs) {
        const expected = `$${value.length}\r\n${value}\r\n`;
        assert.equal(await conn.roundTrip(resp('GET', key), expected), expected);
      }
      const keys = pairs.map(([k]) => k);
      assert.equal(await conn.roundTrip(resp('DEL', ...keys), `:${keys.length}\r\n`), `:${keys.length}\r\n`);
      conn.close();
    });

    it('round-trips a 1MB random binary value', async () => {
      const conn = await rawConnect(server.port);
      const value = randomBytes(1 << 20).toString('latin1');
      assert.equal(await conn.roundTrip(resp('SET', 'bin:big', value), '+OK\r\n'), '+OK\r\n');
      const expected = `$${1 << 20}\r\n${value}\r\n`;
      const got = await conn.roundTrip(resp('GET', 'bin:big'), expected);
      assert.ok(Buffer.from(got, 'latin1').equals(Buffer.from(expected, 'latin1')), 'GET returns the same bytes');
      assert.equal(await conn.roundTrip(resp('DEL', 'bin:big'), ':1\r\n'), ':1\r\n');
      conn.close();
    });
  });

  describe('command errors', () => {
    it('names an unknown command and its first arguments', async () => {
      const conn = await rawConnect(server.port);
      const expected = "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n";
      assert.equal(await conn.roundTrip(resp('foo', 'a', 'b'), expected), expected);
      const inline = "-ERR unknown command 'foo', with args beginning with: \r\n";
      assert.equal(await conn.roundTrip('foo\r\n', inline), inline);
      conn.close();
    });

    it('reports the wrong number of arguments with the lowercase command name', async () => {
      const conn = await rawConnect(server.port);
      const expected = "-ERR wrong number of arguments for 'get' command\r\n";
      assert.equal(await conn.roundTrip('GET\r\n', expected), expected);
      assert.equal(await conn.roundTrip(resp('GET', 'a', 'b'), expected), expected);
      conn.close();
    });

    it('names an unknown subcommand and points to HELP', async () => {
      const conn = await rawConnect(server.port);
      const expected = "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n";
      assert.equal(await conn.roundTrip(resp('CONFIG', 'foo'), expected), expected);
      conn.close();
    });

    it('keeps the connection open after a command error', async () => {
      const conn = await rawConnect(server.port);
      await conn.roundTrip('nosuchcommand\r\n', "-ERR unknown command 'nosuchcommand', with args beginning with: \r\n");
      assert.equal(await conn.roundTrip('PING\r\n', '+PONG\r\n'), '+PONG\r\n');
      conn.close();
    });
  });

  describe('RESP3', () => {
    it('HELLO 3 replies with a map and switches null replies to _', async () => {
      const conn = await rawConnect(server.port);
      conn.write('CLIENT ID\r\n');
      const id = (await readUntil(conn, '\r\n')).slice(1, -2);
      assert.match(id, /^[1-9][0-9]*$/);
      const map =
        '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n' +
        `$2\r\nid\r\n:${id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n`;
      assert.equal(await conn.roundTrip('HELLO 3\r\n', map), map);
      assert.equal(await conn.roundTrip(resp('GET', 'resp3:missing'), '_\r\n'), '_\r\n');
      // Back to RESP2: the null bulk string again, and HELLO's map becomes a flat array.
      const flat = await conn.roundTrip('HELLO 2\r\n', '*14\r\n');
      assert.equal(flat, '*14\r\n');
      const restOfHello = map.slice('%7\r\n'.length).replace(':3\r\n', ':2\r\n');
      assert.equal(await conn.read(restOfHello.length), restOfHello);
      assert.equal(await conn.roundTrip(resp('GET', 'resp3:missing'), '$-1\r\n'), '$-1\r\n');
      conn.close();
    });

    it('refuses an unsupported protocol version with NOPROTO', async () => {
      const conn = await rawConnect(server.port);
      const expected = '-NOPROTO unsupported protocol version\r\n';
      assert.equal(await conn.roundTrip('HELLO 4\r\n', expected), expected);
      assert.equal(await conn.roundTrip('HELLO 1\r\n', expected), expected);
      assert.equal(await conn.roundTrip(resp('GET', 'resp3:missing'), '$-1\r\n'), '$-1\r\n', 'still RESP2');
      conn.close();
    });

    it('encodes the DEBUG PROTOCOL samples in RESP3 and RESP2', async () => {
      const conn = await rawConnect(server.port);
      const samples = [
        ['map', '*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n', '%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n'],
        ['double', '$5\r\n3.141\r\n', ',3.141\r\n'],
        ['verbatim', '$25\r\nThis is a verbatim\nstring\r\n', '=29\r\ntxt:This is a verbatim\nstring\r\n'],
        ['set', '*3\r\n:0\r\n:1\r\n:2\r\n', '~3\r\n:0\r\n:1\r\n:2\r\n'],
        ['true', ':1\r\n', '#t\r\n'],
        ['false', ':0\r\n', '#f\r\n'],
        ['null', '$-1\r\n', '_\r\n'],
        ['bignum', '$37\r\n1234567999999999999999999999999999999\r\n', '(1234567999999999999999999999999999999\r\n'],
      ];
      for (const [type, resp2] of samples) {
        assert.equal(await conn.roundTrip(resp('DEBUG', 'PROTOCOL', type), resp2), resp2, `RESP2 ${type}`);
      }
      conn.write('HELLO 3\r\n');
      assert.match(await readUntil(conn, '$7\r\nmodules\r\n*0\r\n'), /^%7\r\n/);
      for (const [type, , resp3] of samples) {
        assert.equal(await conn.roundTrip(resp('DEBUG', 'PROTOCOL', type), resp3), resp3, `RESP3 ${type}`);
      }
      conn.close();
    });
  });

  describe('connection control', () => {
    it('QUIT replies +OK, closes, and skips the commands after it', async () => {
      const conn = await rawConnect(server.port);
      conn.write('QUIT\r\nPING\r\n');
      assert.equal(await rest(conn), '+OK\r\n');
    });

    it('CLIENT REPLY OFF silences replies until CLIENT REPLY ON', async () => {
      const conn = await rawConnect(server.port);
      const expected = '+OK\r\n$2\r\nv2\r\n';
      conn.write(`CLIENT REPLY OFF\r\nPING\r\nSET reply:k v1\r\nnosuchcmd\r\nSET reply:k v2\r\nCLIENT REPLY ON\r\nGET reply:k\r\n`);
      assert.equal(await conn.read(expected.length), expected);
      assert.equal(await conn.roundTrip('DEL reply:k\r\n', ':1\r\n'), ':1\r\n', 'nothing else was sent');
      conn.close();
    });

    it('CLIENT REPLY SKIP silences itself and exactly the next command, errors included', async () => {
      const conn = await rawConnect(server.port);
      const expected = '$1\r\na\r\n$1\r\nb\r\n';
      conn.write('CLIENT REPLY SKIP\r\nPING\r\nECHO a\r\nCLIENT REPLY SKIP\r\nnosuchcmd\r\nECHO b\r\n');
      assert.equal(await conn.read(expected.length), expected);
      assert.equal(await conn.roundTrip('PING\r\n', '+PONG\r\n'), '+PONG\r\n', 'nothing else was sent');
      conn.close();
    });

    it('CLIENT REPLY SKIP while replies are off does not silence CLIENT REPLY ON', async () => {
      const conn = await rawConnect(server.port);
      const expected = '+OK\r\n+PONG\r\n';
      conn.write('CLIENT REPLY OFF\r\nCLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING\r\n');
      assert.equal(await conn.read(expected.length), expected);
      assert.equal(await conn.roundTrip('ECHO z\r\n', '$1\r\nz\r\n'), '$1\r\nz\r\n', 'nothing else was sent');
      conn.close();
    });

    it('CLIENT REPLY ON right after SKIP is answered: it cancels the skip', async () => {
      const conn = await rawConnect(server.port);
      const expected = '+OK\r\n+PONG\r\n';
      conn.write('CLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING\r\n');
      assert.equal(await conn.read(expected.length), expected);
      conn.close();
    });

    it('CLIENT REPLY with a bad mode is a syntax error', async () => {
      const conn = await rawConnect(server.port);
      const expected = '-ERR syntax error\r\n';
      assert.equal(await conn.roundTrip('CLIENT REPLY maybe\r\n', expected), expected);
      conn.close();
    });
  });

  describe('fuzzing', () => {
    it('random bytes on a connection never take the server down', async () => {
      const fragments = ['*', '$', '\r\n', '\r', '\n', '-1', '0', '1', '2', '3', '99', '4294967296', ' ', '"', "'", '\\', '\\x4', 'PING', 'ECHO', 'GET', 'SET', 'fuzz:k', 'CLIENT', 'REPLY', 'OFF', 'HELLO', '\0', '\xff'];
      const piece = fc.oneof(fc.constantFrom(...fragments), fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a).toString('latin1')));
      const input = fc.array(piece, { maxLength: 24 }).map((parts) => parts.join(''));
      await fc.assert(
        fc.asyncProperty(input, fc.boolean(), async (bytes, waitForReply) => {
          const conn = await rawConnect(server.port);
          conn.write(bytes);
          if (waitForReply) await sleep(1);
          conn.close();
          assert.equal(server.proc.exitCode, null, 'server still running');
          assert.equal(await other.roundTrip('PING\r\n', '+PONG\r\n'), '+PONG\r\n');
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('request size limits set at run time', () => {
    it('refuses a bulk above a lowered proto-max-bulk-len, and accepts one at the limit', async () => {
      assert.equal(await other.roundTrip(resp('CONFIG', 'SET', 'proto-max-bulk-len', '1048576'), '+OK\r\n'), '+OK\r\n');
      try {
        const ok = await rawConnect(server.port);
        const value = 'v'.repeat(1048576);
        assert.equal(await ok.roundTrip(resp('SET', 'atlimit', value), '+OK\r\n'), '+OK\r\n');
        assert.equal(await ok.roundTrip(resp('STRLEN', 'atlimit'), ':1048576\r\n'), ':1048576\r\n');
        ok.close();
        await expectProtocolError(`PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n`, '+PONG\r\n-ERR Protocol error: invalid bulk length\r\n');
      } finally {
        assert.equal(await other.roundTrip(resp('CONFIG', 'SET', 'proto-max-bulk-len', '536870912'), '+OK\r\n'), '+OK\r\n');
      }
      const conn = await rawConnect(server.port);
      const value = 'w'.repeat(1048577);
      assert.equal(await conn.roundTrip(resp('SET', 'abovelimit', value), '+OK\r\n'), '+OK\r\n', 'restoring the limit admits the bulk again');
      conn.close();
      await other.roundTrip(resp('DEL', 'atlimit', 'abovelimit'), ':2\r\n');
    });

    it('disconnects, without a reply, a client whose request exceeds client-query-buffer-limit', async () => {
      assert.equal(await other.roundTrip(resp('CONFIG', 'SET', 'client-query-buffer-limit', '1048576'), '+OK\r\n'), '+OK\r\n');
      try {
        const conn = await rawConnect(server.port);
        try {
          assert.equal(await conn.roundTrip('PING\r\n', '+PONG\r\n'), '+PONG\r\n');
          conn.write('*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$2000000\r\n');
          conn.write(Buffer.alloc(1_500_000, 0x61));
          assert.equal(await rest(conn), '', 'closed without any reply');
        } finally {
          conn.close();
        }
        await otherStillWorks();
        assert.equal(await other.roundTrip(resp('EXISTS', 'big'), ':0\r\n'), ':0\r\n');
        // A request within the limit is still fine for a new client.
        const small = await rawConnect(server.port);
        assert.equal(await small.roundTrip(resp('SET', 'small', 'x'.repeat(500_000)), '+OK\r\n'), '+OK\r\n');
        small.close();
      } finally {
        assert.equal(await other.roundTrip(resp('CONFIG', 'SET', 'client-query-buffer-limit', '1073741824'), '+OK\r\n'), '+OK\r\n');
      }
      await other.roundTrip(resp('DEL', 'small'), ':1\r\n');
    });
  });

  describe('replies to a client that reads slowly', () => {
    it('arrive byte-exact when the socket can only take them in pieces', async () => {
      const values = Array.from({ length: 40 }, (_, i) => String.fromCharCode(97 + (i % 26)).repeat(1 + ((i * 997) % 5000)));
      const conn = await rawConnect(server.port);
      let setup = '';
      values.forEach((v, i) => (setup += resp('SET', `slow:${i}`, v)));
      const ok = '+OK\r\n'.repeat(values.length);
      assert.equal(await conn.roundTrip(setup, ok), ok);
      conn.close();
      // 20 MB of replies to a socket that is not read, in flushes of about 50 KB (one per read
      // of 20 commands): past the kernel's buffers the server's writes go out in part and
      // queue, while it goes on reading and replying, as Redis does.
      const socket = net.connect(server.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.setNoDelay(true);
      socket.pause();
      let expected = '';
      for (let batch = 0; batch < 400; batch++) {
        let request = '';
        for (let i = 0; i < 20; i++) {
          const k = (batch * 20 + i) % values.length;
          request += resp('GET', `slow:${k}`);
          expected += `$${values[k].length}\r\n${values[k]}\r\n`;
        }
        socket.write(request);
        await sleep(2);
      }
      await sleep(200);
      const chunks = [];
      socket.on('data', (d) => chunks.push(d));
      let received = 0;
      while (received < expected.length) {
        socket.resume();
        await sleep(5);
        socket.pause();
        received = chunks.reduce((n, c) => n + c.length, 0);
      }
      socket.destroy();
      assert.equal(Buffer.concat(chunks).toString('latin1'), expected);
    });
  });

  describe('requests split across packets', () => {
    const request =
      resp('SET', 'split:key', 'a\r\nb$*0123') + resp('GET', 'split:key') + 'PING\r\n' + 'ECHO "x y"\n' + resp('DEL', 'split:key');
    const expected = '+OK\r\n$10\r\na\r\nb$*0123\r\n+PONG\r\n$3\r\nx y\r\n:1\r\n';

    it('executes a command whose first byte arrived in a packet of its own', async () => {
      const conn = await rawConnect(server.port);
      conn.socket.setNoDelay(true);
      conn.write('*');
      await sleep(20);
      conn.write('2\r\n$4\r\nECHO\r\n$5\r\nfirst\r\n');
      await sleep(20);
      conn.write(resp('ECHO', 'second'));
      const expected = '$5\r\nfirst\r\n$6\r\nsecond\r\n';
      assert.equal(await conn.read(expected.length), expected);
      conn.close();
      await otherStillWorks();
    });

    it('handles a multi-command request written one byte at a time', async () => {
      const conn = await rawConnect(server.port);
      conn.socket.setNoDelay(true);
      for (let i = 0; i < request.length; i++) {
        conn.write(request[i]);
        await sleep(1);
      }
      assert.equal(await conn.read(expected.length), expected);
      conn.close();
    });

    it('handles a multi-command request split in two at every offset', async () => {
      const conn = await rawConnect(server.port);
      conn.socket.setNoDelay(true);
      for (let i = 1; i < request.length; i++) {
        conn.write(request.slice(0, i));
        await sleep(2);
        conn.write(request.slice(i));
        assert.equal(await conn.read(expected.length), expected, `split at offset ${i}`);
      }
      conn.close();
    });

    it('frames a 200KB argument delivered in several packets', async () => {
      const conn = await rawConnect(server.port);
      conn.socket.setNoDelay(true);
      const value = 'z'.repeat(200_000);
      const request = resp('SET', 'split:big', value) + resp('STRLEN', 'split:big') + resp('DEL', 'split:big');
      for (let i = 0; i < request.length; i += 50_000) {
        conn.write(request.slice(i, i + 50_000));
        await sleep(5);
      }
      const expected = '+OK\r\n:200000\r\n:1\r\n';
      assert.equal(await conn.read(expected.length), expected);
      conn.close();
    });

    it('replies exactly to random commands cut into random packets', async () => {
      const arg = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a).toString('latin1'));
      const commands = fc.array(fc.oneof(arg, fc.constant(null)), { minLength: 1, maxLength: 8 });
      const cuts = fc.uniqueArray(fc.integer({ min: 1, max: 600 }), { maxLength: 6 });
      await fc.assert(
        fc.asyncProperty(commands, cuts, async (cmds, offsets) => {
          // ECHO <random bytes> over RESP, and inline PING for null.
          const request = cmds.map((c) => (c === null ? 'PING\r\n' : resp('ECHO', c))).join('');
          const expected = cmds.map((c) => (c === null ? '+PONG\r\n' : `$${c.length}\r\n${c}\r\n`)).join('');
          const points = [0, ...offsets.filter((o) => o < request.length).sort((a, b) => a - b), request.length];
          const conn = await rawConnect(server.port);
          try {
            conn.socket.setNoDelay(true);
            for (let i = 1; i < points.length; i++) {
              conn.write(request.slice(points[i - 1], points[i]));
              await sleep(1);
            }
            assert.equal(await conn.read(expected.length), expected);
          } finally {
            conn.close();
          }
        }),
        { numRuns: 40 },
      );
    });

    it('handles an inline command split across packets', async () => {
      const conn = await rawConnect(server.port);
      conn.socket.setNoDelay(true);
      for (const part of ['PI', 'NG', '\r', '\nEC', 'HO "a ', 'b"', '\r', '\n']) {
        conn.write(part);
        await sleep(5);
      }
      assert.equal(await conn.read(16), '+PONG\r\n$3\r\na b\r\n');
      conn.close();
    });
  });
});

describe('maxclients', () => {
  let server;
  const conns = [];
  before(async () => {
    server = await startServer(['--maxclients', '2']);
    await sleep(100); // let the server notice that the start-up probe connection closed
  });
  after(async () => {
    conns.forEach((c) => c.close());
    await server?.stop();
  });

  it('refuses the client beyond maxclients with an error, and admits one again after a client leaves', async () => {
    for (let i = 0; i < 2; i++) {
      const conn = await rawConnect(server.port);
      conns.push(conn);
      assert.equal(await conn.roundTrip('PING\r\n', '+PONG\r\n'), '+PONG\r\n');
    }
    const third = await rawConnect(server.port);
    conns.push(third);
    assert.equal(await rest(third), '-ERR max number of clients reached\r\n');
    conns[0].close();
    assert.equal(await conns[1].roundTrip('PING\r\n', '+PONG\r\n'), '+PONG\r\n');
    // Once the server has seen the first client go, a new one is admitted.
    for (let attempt = 0; ; attempt++) {
      const conn = await rawConnect(server.port);
      conns.push(conn);
      conn.write('PING\r\n');
      const reply = await conn.read(7);
      if (reply === '+PONG\r\n') break;
      assert.ok(attempt < 20, `still refused: ${reply}`);
      await sleep(50);
    }
  });
});

describe('authentication with requirepass', () => {
  let server;
  before(async () => {
    server = await startServer(['--requirepass', 's3cret']);
  });
  after(async () => {
    await server?.stop();
  });

  it('refuses commands before AUTH with NOAUTH and accepts them after the right password', async () => {
    const conn = await rawConnect(server.port);
    const noauth = '-NOAUTH Authentication required.\r\n';
    assert.equal(await conn.roundTrip('PING\r\n', noauth), noauth);
    assert.equal(await conn.roundTrip(resp('GET', 'k'), noauth), noauth);
    const wrong = '-WRONGPASS invalid username-password pair or user is disabled.\r\n';
    assert.equal(await conn.roundTrip('AUTH wrong\r\n', wrong), wrong);
    assert.equal(await conn.roundTrip('AUTH default wrong\r\n', wrong), wrong);
    assert.equal(await conn.roundTrip('PING\r\n', noauth), noauth, 'a failed AUTH does not authenticate');
    assert.equal(await conn.roundTrip('AUTH s3cret\r\n', '+OK\r\n'), '+OK\r\n');
    assert.equal(await conn.roundTrip('PING\r\n', '+PONG\r\n'), '+PONG\r\n');
    // Authenticated clients may send long requests.
    const bigArgs = Array.from({ length: 19 }, (_, i) => `v${i}`);
    assert.equal(await conn.roundTrip(resp('DEL', ...bigArgs), ':0\r\n'), ':0\r\n');
    const value = 'x'.repeat(20000);
    assert.equal(await conn.roundTrip(resp('SET', 'k', value), '+OK\r\n'), '+OK\r\n');
    conn.close();
  });

  it('accepts AUTH with the default user name and HELLO with AUTH', async () => {
    const conn = await rawConnect(server.port);
    assert.equal(await conn.roundTrip('AUTH default s3cret\r\n', '+OK\r\n'), '+OK\r\n');
    conn.close();
    const hello = await rawConnect(server.port);
    hello.write('HELLO 3 AUTH default s3cret\r\n');
    assert.match(await readUntil(hello, '$7\r\nmodules\r\n*0\r\n'), /^%7\r\n/);
    assert.equal(await hello.roundTrip('GET nosuchkey\r\n', '_\r\n'), '_\r\n');
    hello.close();
  });

  it('closes an unauthenticated client that announces more than 10 arguments', async () => {
    const conn = await rawConnect(server.port);
    conn.write('*20\r\n');
    assert.equal(await rest(conn), '-ERR Protocol error: unauthenticated multibulk length\r\n');
  });

  it('closes an unauthenticated client that announces a bulk over 16KB', async () => {
    const conn = await rawConnect(server.port);
    conn.write('*2\r\n$4\r\nAUTH\r\n$20000\r\n');
    assert.equal(await rest(conn), '-ERR Protocol error: unauthenticated bulk length\r\n');
  });
});
