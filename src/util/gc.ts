/**
 * A full garbage collection on request (MEMORY PURGE): the runtime's
 * counterpart of asking the allocator to hand free pages back. V8 only
 * exposes its collector behind --expose-gc; setting that flag at run time
 * and fetching `gc` from a fresh context is the documented way to get it
 * without a command-line flag.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let collect: (() => void) | undefined;

export function collectGarbage(): void {
  if (collect === undefined) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
}
