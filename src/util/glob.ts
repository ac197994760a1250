/**
 * Glob-style matching with the exact semantics of Redis's `stringmatchlen`
 * (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET, ACL patterns).
 *
 * Redis's matcher has quirks that clients can observe, so they are kept:
 * - `*` never matches an empty subject (`globMatch('*', '')` is false), though
 *   trailing `*`s match nothing once the subject is used up (`a*` matches `a`).
 * - `[` opens a class even when no `]` follows: the class then runs to the end
 *   of the pattern and still matches one character (`[ab` matches `a`).
 * - In a class, `x-y` is a range whenever two characters follow `x`, even if
 *   the second is the closing `]` (`[a-]` is the range `]`..`a`, and the class
 *   then runs on to the end of the pattern). Reversed ranges are swapped.
 *   Bytes >= 0x80 compare as negative numbers in ranges (C `char` is signed).
 * - With `nocase`, only ASCII letters fold, and an escaped class member
 *   (`[\a]`) still compares case-sensitively.
 * - `\` escapes the next character; a trailing `\` matches itself.
 *
 * Strings are byte strings (latin1: one char per byte).
 */

const STAR = 42; // *
const QMARK = 63; // ?
const LBRACKET = 91; // [
const RBRACKET = 93; // ]
const BACKSLASH = 92; // \
const CARET = 94; // ^
const DASH = 45; // -

/** ASCII-only lowercase, as C's tolower in the "C" locale. */
const lower = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);
/** A byte as C's signed `char`, which is what Redis compares in ranges. */
const signed = (c: number): number => (c >= 128 ? c - 256 : c);

/**
 * True when `subject` matches the glob `pattern` exactly as Redis's
 * stringmatchlen would: `*`, `?`, `[abc]`, `[^abc]`, `[a-z]`, `\x`.
 */
export function globMatch(pattern: string, subject: string, nocase = false): boolean {
  const plen = pattern.length;
  const slen = subject.length;
  // Redis reads one byte past the pattern (its NUL terminator) in a few places.
  const at = (i: number): number => (i < plen ? pattern.charCodeAt(i) : 0);
  // Set once a `*` failed to match its tail anywhere: then no earlier `*`
  // can succeed by consuming more, which bounds the search (Redis does the same).
  let giveUp = false;

  const match = (pi: number, si: number): boolean => {
    while (pi < plen && si < slen) {
      const pc = pattern.charCodeAt(pi);
      if (pc === STAR) {
        while (pi + 1 < plen && pattern.charCodeAt(pi + 1) === STAR) pi++;
        if (pi + 1 === plen) return true;
        for (; si < slen; si++) {
          if (match(pi + 1, si)) return true;
          if (giveUp) return false;
        }
        giveUp = true;
        return false;
      } else if (pc === QMARK) {
        si++;
      } else if (pc === LBRACKET) {
        const sc = subject.charCodeAt(si);
        pi++;
        const negate = at(pi) === CARET;
        if (negate) pi++;
        let found = false;
        for (;;) {
          const c = at(pi);
          const left = plen - pi;
          if (c === BACKSLASH && left >= 2) {
            pi++;
            if (pattern.charCodeAt(pi) === sc) found = true;
          } else if (c === RBRACKET) {
            break;
          } else if (left <= 0) {
            // Unterminated class: step back so the shared advance below ends the pattern.
            pi--;
            break;
          } else if (left >= 3 && pattern.charCodeAt(pi + 1) === DASH) {
            let start = signed(c);
            let end = signed(pattern.charCodeAt(pi + 2));
            let ch = signed(sc);
            if (start > end) [start, end] = [end, start];
            if (nocase) {
              start = lower(start);
              end = lower(end);
              ch = lower(ch);
            }
            pi += 2;
            if (ch >= start && ch <= end) found = true;
          } else if (nocase ? lower(c) === lower(sc) : c === sc) {
            found = true;
          }
          pi++;
        }
        if (negate) found = !found;
        if (!found) return false;
        si++;
      } else {
        let c = pc;
        if (c === BACKSLASH && plen - pi >= 2) c = pattern.charCodeAt(++pi);
        const sc = subject.charCodeAt(si);
        if (nocase ? lower(c) !== lower(sc) : c !== sc) return false;
        si++;
      }
      pi++;
      if (si === slen) {
        while (at(pi) === STAR) pi++;
        break;
      }
    }
    return pi >= plen && si === slen;
  };

  return match(0, 0);
}
