/**
 * Secrets never reach MONITOR or the slow log: the arguments Redis's
 * commands redact as they parse them show as "(redacted)". Each rule
 * redacts only what the command reaches before it would refuse the line, as
 * Redis's handlers do.
 */
import { parseInt64 } from '../util/numbers.js';

export const REDACTED = '(redacted)';

/** CONFIG SET parameters whose values are secrets (Redis's SENSITIVE_CONFIG). */
const SENSITIVE_CONFIGS = new Set(['masteruser', 'masterauth', 'requirepass']);

/** Whether a user name and password open an account (HELLO stops at the first AUTH that does not). */
export type CredentialCheck = (user: string, password: string) => boolean;

type Rule = (args: string[], redact: (index: number) => void, accepts: CredentialCheck) => void;

const RULES: Readonly<Record<string, Rule>> = {
  auth: (args, redact) => {
    // More than AUTH user pass is a syntax error found before any redaction.
    if (args.length > 3) return;
    for (let i = 1; i < args.length; i++) redact(i);
  },
  hello: (args, redact, accepts) => {
    if (args.length < 2) return;
    const version = parseInt64(args[1]);
    if (version === null || version < 2 || version > 3) return;
    for (let i = 2; i < args.length; i++) {
      const more = args.length - 1 - i;
      const option = args[i].toLowerCase();
      if (option === 'auth' && more >= 2) {
        redact(i + 1);
        redact(i + 2);
        if (more > 2 && !accepts(args[i + 1], args[i + 2])) return;
        i += 2;
      } else if (option === 'setname' && more >= 1 && /^[!-~]*$/.test(args[i + 1])) {
        i++;
      } else {
        return;
      }
    }
  },
  config: (args, redact) => {
    if (args.length < 4 || args[1].toLowerCase() !== 'set' || args.length % 2 !== 0) return;
    for (let i = 2; i + 1 < args.length; i += 2) if (SENSITIVE_CONFIGS.has(args[i].toLowerCase())) redact(i + 1);
  },
  // MIGRATE host port key db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw] [KEYS ...]; redacted up to a syntax error.
  migrate: (args, redact) => {
    for (let i = 6; i < args.length; i++) {
      const more = args.length - 1 - i;
      const option = args[i].toLowerCase();
      if (option === 'auth') {
        if (more < 1) return;
        redact(++i);
      } else if (option === 'auth2') {
        if (more < 2) return;
        redact(++i);
        redact(++i);
      } else if (option === 'keys') {
        return;
      } else if (option !== 'copy' && option !== 'replace') {
        return;
      }
    }
  },
  // ACL SETUSER: everything about the user, its name included.
  acl: (args, redact) => {
    if (args.length < 3 || args[1].toLowerCase() !== 'setuser') return;
    for (let i = 2; i < args.length; i++) redact(i);
  },
};

/** `args` as MONITOR and the slow log show them: the same array when nothing is secret. */
export function redactedArgs(args: string[], accepts: CredentialCheck): string[] {
  const rule = RULES[args[0].toLowerCase()];
  if (rule === undefined) return args;
  let shown = args;
  const redact = (index: number): void => {
    if (shown === args) shown = args.slice();
    shown[index] = REDACTED;
  };
  rule(args, redact, accepts);
  return shown;
}
