/**
 * LOLWUT [VERSION version] [art arguments ...]: Redis's computer art of its
 * versions 5 (Schotter) and 6 (a skyline); any other version, and the
 * default of a 7.0 server, is just the version line. The art is random in
 * Redis too (its rand() is seeded from the clock), so only its geometry and
 * framing are fixed.
 */
import { VerbatimReply, type Reply } from '../protocol/reply.js';
import { REDIS_VERSION } from '../version.js';
import { schotter } from './lolwut/schotter.js';
import { skyline } from './lolwut/skyline.js';
import { integerArg } from './strings.js';
import { defineCommand, type CommandSpec } from './types.js';

/** The art's optional numeric arguments, each defaulted and clamped to keep LOLWUT cheap. */
function sizes(args: readonly string[], limits: readonly [defaultValue: number, max: number][]): number[] {
  return limits.map(([defaultValue, max], i) => {
    if (i >= args.length) return defaultValue;
    const value = Number(integerArg(args[i]));
    return Math.min(Math.max(value, 1), max);
  });
}

function lolwut(args: string[]): Reply {
  let version: number | undefined;
  let artArgs: string[] = [];
  if (args.length >= 3 && args[1].toLowerCase() === 'version') {
    // Redis prints the number as a C unsigned int, so it wraps at 2^32.
    version = Number(BigInt.asUintN(32, BigInt(integerArg(args[2]))));
    artArgs = args.slice(3);
  }
  let text: string;
  if (version === 5) {
    const [columns, perRow, perCol] = sizes(artArgs, [[66, 1000], [8, 200], [12, 200]]);
    text = schotter(columns, perRow, perCol, REDIS_VERSION);
  } else if (version === 6) {
    const [columns, rows] = sizes(artArgs, [[80, 1000], [20, 1000]]);
    text = skyline(columns, rows, REDIS_VERSION);
  } else {
    text = `Redis ver. ${REDIS_VERSION}\n`;
  }
  return new VerbatimReply('txt', text);
}

export const lolwutCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'lolwut', arity: -1, flags: ['readonly', 'fast'], group: 'server', since: '5.0.0', complexity: 'O(N)',
    summary: 'Computer art of a Redis version, and the version of this server.',
    syntax: '[VERSION version]',
    run: (_ctx, args) => lolwut(args),
  }),
];
