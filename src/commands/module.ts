/**
 * MODULE: Redis modules are C shared libraries, which this server cannot
 * load, so it answers as a redis-server with no module loaded whose every
 * load fails. LOAD, LOADEX and UNLOAD are protected by enable-module-command,
 * as in Redis; LIST is not.
 */
import { ReplyError } from '../errors.js';
import { SimpleString, type Reply } from '../protocol/reply.js';
import { defineCommand, type CommandFlag, type CommandSpec } from './types.js';

const HELP = [
  'MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LIST',
  '    Return a list of loaded modules.',
  'LOAD <path> [<arg> ...]',
  '    Load a module library from <path>, passing to it any optional arguments.',
  'LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]',
  '    Load a module library from <path>, while passing it module configurations and optional arguments.',
  'UNLOAD <name>',
  '    Unload a module.',
  'HELP',
  '    Prints this help.',
];

const LOADING: CommandFlag[] = ['admin', 'noscript', 'no_async_loading', 'protected'];

function loadFails(): Reply {
  throw new ReplyError('ERR Error loading the extension. Please check the server logs.');
}

export const moduleCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'module', arity: -2, flags: [], group: 'server', since: '4.0.0', complexity: 'Depends on subcommand.',
    summary: 'A container for module commands',
    subcommands: [
      defineCommand({
        name: 'list', arity: 2, flags: ['admin', 'noscript'], group: 'server', since: '4.0.0',
        complexity: 'O(N) where N is the number of loaded modules.', summary: 'List all modules loaded by the server', run: () => [],
      }),
      defineCommand({
        name: 'load', arity: -3, flags: LOADING, group: 'server', since: '4.0.0', complexity: 'O(1)', summary: 'Load a module',
        syntax: 'path [arg ...]', run: loadFails,
      }),
      defineCommand({
        name: 'loadex', arity: -3, flags: LOADING, group: 'server', since: '7.0.0', complexity: 'O(1)',
        summary: 'Load a module with extended parameters', syntax: 'path [CONFIG name value ...] [ARGS args ...]', run: loadFails,
      }),
      defineCommand({
        name: 'unload', arity: 3, flags: LOADING, group: 'server', since: '4.0.0', complexity: 'O(1)', summary: 'Unload a module',
        syntax: 'name',
        run: () => {
          throw new ReplyError('ERR Error unloading module: no such module with that name');
        },
      }),
      defineCommand({
        name: 'help', arity: 2, flags: ['loading', 'stale'], group: 'server', since: '5.0.0', complexity: 'O(1)',
        summary: 'Show helpful text about the different subcommands', run: () => HELP.map((line) => new SimpleString(line)),
      }),
    ],
  }),
];
