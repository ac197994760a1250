/**
 * Placeholder while the sortedsets family is written.
 */
import type { CommandSpec } from './types.js';

export const sortedsetsCommands: readonly CommandSpec[] = [];
