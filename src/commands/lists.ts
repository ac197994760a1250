/**
 * Placeholder while the lists family is written.
 */
import type { CommandSpec } from './types.js';

export const listsCommands: readonly CommandSpec[] = [];
