/**
 * Placeholder while the hashes family is written.
 */
import type { CommandSpec } from './types.js';

export const hashesCommands: readonly CommandSpec[] = [];
