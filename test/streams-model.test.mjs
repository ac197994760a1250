// Property-based: random sequences of stream and consumer-group commands run
// against our server and against a small model of a stream in plain JS (an
// ordered entry list, and per group a last-delivered ID and a pending map).
// Every reply must equal what the model predicts. IDs are given explicitly so
// the model need not know the clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { useServer } from './helpers.mjs';

let r;
useServer(['--save', ''], (_server, client) => {
  r = client;
});

const cmp = (a, b) => (a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1]);
const fmt = ([ms, seq]) => `${ms}-${seq}`;

class Model {
  entries = []; // [[ms, seq], fields]
  last = [0, 0];
  groups = new Map(); // name -> { last, pel: Map<idText, { id, consumer, count }>, consumers: Set }

  find(idText) {
    return this.entries.findIndex(([id]) => fmt(id) === idText);
  }

  apply(op) {
    switch (op.kind) {
      case 'add': {
        const id = op.stepMs === 0 ? [this.last[0], this.last[1] + 1 + op.seq] : [this.last[0] + op.stepMs, op.seq];
        if (this.last[0] === 0 && this.last[1] === 0 && id[0] === 0 && id[1] === 0) id[1] = 1;
        this.entries.push([id, ['f', op.value]]);
        this.last = id;
        return { args: ['XADD', 's', fmt(id), 'f', op.value], reply: fmt(id) };
      }
      case 'stale': {
        // An ID that is not above the top one.
        const args = ['XADD', 's', fmt(this.last), 'f', 'x'];
        const message = 'ERR The ID specified in XADD is equal or smaller than the target stream top item';
        return this.last[0] === 0 && this.last[1] === 0
          ? { args, error: 'ERR The ID specified in XADD must be greater than 0-0' }
          : { args, error: message };
      }
      case 'del': {
        const idText = this.pickId(op.pick);
        const at = this.find(idText);
        if (at >= 0) this.entries.splice(at, 1);
        return { args: ['XDEL', 's', idText], reply: at >= 0 ? 1 : 0 };
      }
      case 'trim': {
        const removed = Math.max(0, this.entries.length - op.len);
        this.entries.splice(0, removed);
        return { args: ['XTRIM', 's', 'MAXLEN', '=', String(op.len)], reply: removed };
      }
      case 'range': {
        const picked = this.entries.slice(0, op.count).map(([id, fields]) => [fmt(id), fields]);
        return { args: ['XRANGE', 's', '-', '+', 'COUNT', String(op.count)], reply: picked };
      }
      case 'revrange': {
        const picked = this.entries.slice().reverse().slice(0, op.count).map(([id, fields]) => [fmt(id), fields]);
        return { args: ['XREVRANGE', 's', '+', '-', 'COUNT', String(op.count)], reply: picked };
      }
      case 'len':
        return { args: ['XLEN', 's'], reply: this.entries.length };
      case 'create': {
        const args = ['XGROUP', 'CREATE', 's', op.group, '0', 'MKSTREAM'];
        if (this.groups.has(op.group)) return { args, error: 'BUSYGROUP Consumer Group name already exists' };
        this.groups.set(op.group, { last: [0, 0], pel: new Map(), consumers: new Set() });
        return { args, reply: 'OK' };
      }
      case 'read': {
        const args = ['XREADGROUP', 'GROUP', op.group, op.consumer, 'COUNT', String(op.count), 'STREAMS', 's', '>'];
        const group = this.groups.get(op.group);
        if (!group) {
          return { args, error: `NOGROUP No such key 's' or consumer group '${op.group}' in XREADGROUP with GROUP option` };
        }
        group.consumers.add(op.consumer);
        const fresh = this.entries.filter(([id]) => cmp(id, group.last) > 0).slice(0, op.count);
        if (fresh.length === 0) return { args, reply: null };
        for (const [id] of fresh) group.pel.set(fmt(id), { id, consumer: op.consumer, count: 1 });
        group.last = fresh[fresh.length - 1][0];
        return { args, reply: [['s', fresh.map(([id, fields]) => [fmt(id), fields])]] };
      }
      case 'ack': {
        const group = this.groups.get(op.group);
        const idText = this.pickPending(group, op.pick);
        const acked = group?.pel.delete(idText) ? 1 : 0;
        return { args: ['XACK', 's', op.group, idText], reply: acked };
      }
      case 'pending': {
        const args = ['XPENDING', 's', op.group];
        const group = this.groups.get(op.group);
        if (!group) return { args, error: `NOGROUP No such key 's' or consumer group '${op.group}'` };
        const nacks = [...group.pel.values()].sort((a, b) => cmp(a.id, b.id));
        if (nacks.length === 0) return { args, reply: [0, null, null, null] };
        const owners = new Map();
        for (const nack of nacks) owners.set(nack.consumer, (owners.get(nack.consumer) ?? 0) + 1);
        const perConsumer = [...owners].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, n]) => [name, String(n)]);
        return { args, reply: [nacks.length, fmt(nacks[0].id), fmt(nacks[nacks.length - 1].id), perConsumer] };
      }
      case 'claim': {
        const group = this.groups.get(op.group);
        const idText = this.pickPending(group, op.pick);
        const args = ['XCLAIM', 's', op.group, op.consumer, '0', idText];
        if (!group) return { args, error: `NOGROUP No such key 's' or consumer group '${op.group}'` };
        group.consumers.add(op.consumer);
        const nack = group.pel.get(idText);
        if (!nack) return { args, reply: [] };
        const at = this.find(idText);
        // An entry deleted from the stream leaves the pending list when claimed (7.0).
        if (at < 0) {
          group.pel.delete(idText);
          return { args, reply: [] };
        }
        nack.consumer = op.consumer;
        nack.count++;
        return { args, reply: [[idText, this.entries[at][1]]] };
      }
      default:
        throw new Error(op.kind);
    }
  }

  pickId(pick) {
    if (this.entries.length === 0 || pick < 0) return '999999-0';
    return fmt(this.entries[pick % this.entries.length][0]);
  }

  pickPending(group, pick) {
    const ids = group ? [...group.pel.keys()] : [];
    return ids.length === 0 ? '999999-0' : ids[pick % ids.length];
  }
}

const groupName = fc.constantFrom('g1', 'g2');
const consumer = fc.constantFrom('alice', 'bob', 'carol');
const op = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('add'), stepMs: fc.nat(3), seq: fc.nat(2), value: fc.string({ maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stale') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('del'), pick: fc.integer({ min: -1, max: 50 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('trim'), len: fc.nat(12) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('range'), count: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revrange'), count: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('len') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('create'), group: groupName }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read'), group: groupName, consumer, count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('ack'), group: groupName, pick: fc.nat(20) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pending'), group: groupName }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('claim'), group: groupName, consumer, pick: fc.nat(20) }) },
);

/** ioredis's view of a reply: errors as their message, buffers never (ASCII only here). */
async function send(args) {
  try {
    return { reply: await r.call(...args) };
  } catch (error) {
    return { error: error.message };
  }
}

test('random stream and consumer-group commands agree with a model of the stream', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
      await r.del('s');
      const model = new Model();
      for (const step of ops) {
        const expected = model.apply(step);
        const actual = await send(expected.args);
        if (expected.error !== undefined) assert.deepEqual(actual, { error: expected.error }, expected.args.join(' '));
        else assert.deepEqual(actual, { reply: expected.reply }, expected.args.join(' '));
      }
      // The group bookkeeping the replies do not show: delivery counts and owners in the extended form.
      for (const [name, group] of model.groups) {
        const extended = await r.call('XPENDING', 's', name, '-', '+', '100');
        const want = [...group.pel.values()].sort((a, b) => cmp(a.id, b.id)).map((n) => [fmt(n.id), n.consumer, n.count]);
        assert.deepEqual(extended.map(([id, owner, , count]) => [id, owner, count]), want);
      }
    }),
    { numRuns: 150 },
  );
});
