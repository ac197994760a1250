/**
 * Transactions: MULTI queues commands (the dispatcher does the queueing),
 * EXEC runs them back to back, DISCARD drops them; WATCH makes EXEC fail
 * when a watched key changed in between.
 */
import { ReplyError } from '../errors.js';
import { NIL_ARRAY, OK, type Reply } from '../protocol/reply.js';
import { frozen } from '../store/clock.js';
import { dispatch, endTransaction, POSTPONED } from './table.js';
import { BlockRequest, defineCommand, type CommandContext, type CommandSpec } from './types.js';

const FLAGS = ['noscript', 'loading', 'stale', 'fast', 'allow_busy'] as const;

function exec(ctx: CommandContext): Reply {
  const client = ctx.client;
  const queued = client.multi;
  if (queued === undefined) throw new ReplyError('ERR EXEC without MULTI');
  const failed = client.multiFailed;
  const watchFailed = client.watchedKeyChanged || ctx.server.watchedKeyExpired(client);
  endTransaction(ctx);
  if (failed) return new ReplyError('EXECABORT Transaction discarded because of previous errors.');
  if (watchFailed) return NIL_ARRAY;
  // Each queued command passes the same checks and statistics as if sent alone; blocking ones do not wait.
  client.executingTransaction = true;
  ctx.server.persistence.propagationBegin();
  try {
    return frozen(() => queued.map((args) => {
      const dispatched = dispatch(ctx, args, ctx.server);
      // CLIENT PAUSE holds EXEC as a whole, never a command inside it.
      if (dispatched === POSTPONED) throw new Error('a command inside EXEC was postponed');
      const reply = dispatched instanceof BlockRequest ? dispatched.timeoutReply : dispatched;
      // The server counts the errors of the replies it sends; these travel inside EXEC's array.
      if (reply instanceof ReplyError) ctx.server.countError(reply);
      return reply;
    }));
  } finally {
    ctx.server.persistence.propagationEnd();
    client.executingTransaction = false;
    // CLIENT LIST shows cmd=exec afterwards, not the last queued command.
    client.lastCommand = 'exec';
  }
}

export const transactionCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'multi', arity: 1, flags: [...FLAGS], group: 'transactions', since: '1.2.0', complexity: 'O(1)',
    summary: 'Starts a transaction: the following commands are queued until EXEC.',
    run: (ctx) => {
      if (ctx.client.multi) throw new ReplyError('ERR MULTI calls can not be nested');
      ctx.client.multi = [];
      // Only errors while queueing this transaction may abort it (RESET drops a transaction without clearing this).
      ctx.client.multiFailed = false;
      return OK;
    },
  }),
  defineCommand({
    name: 'exec', arity: 1, flags: ['noscript', 'loading', 'stale', 'skip_slowlog'], group: 'transactions', since: '1.2.0',
    complexity: 'Depends on commands in the transaction', summary: 'Runs the queued commands and returns their replies.',
    run: exec,
  }),
  defineCommand({
    name: 'discard', arity: 1, flags: [...FLAGS], group: 'transactions', since: '2.0.0', complexity: 'O(N), when N is the number of queued commands',
    summary: 'Drops the queued commands and ends the transaction.',
    run: (ctx) => {
      if (!ctx.client.multi) throw new ReplyError('ERR DISCARD without MULTI');
      endTransaction(ctx);
      return OK;
    },
  }),
  defineCommand({
    name: 'watch', arity: -2, flags: [...FLAGS], keys: { first: 1, last: -1, step: 1 }, group: 'transactions', since: '2.2.0',
    complexity: 'O(1) for every key.', summary: 'Makes the next EXEC fail if any of these keys changes before it.',
    syntax: 'key [key ...]',
    run: (ctx, args) => {
      if (ctx.client.multi) throw new ReplyError('ERR WATCH inside MULTI is not allowed');
      for (let i = 1; i < args.length; i++) ctx.server.watch(ctx.client, args[i]);
      return OK;
    },
  }),
  defineCommand({
    name: 'unwatch', arity: 1, flags: [...FLAGS], group: 'transactions', since: '2.2.0', complexity: 'O(1)',
    summary: 'Forgets every watched key of this connection.',
    run: (ctx) => {
      ctx.server.unwatchAll(ctx.client);
      ctx.client.watchedKeyChanged = false;
      return OK;
    },
  }),
];
