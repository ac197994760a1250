/**
 * Placeholder while the sets family is written.
 */
import type { CommandSpec } from './types.js';

export const setsCommands: readonly CommandSpec[] = [];
