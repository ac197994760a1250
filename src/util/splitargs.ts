/**
 * Argument splitting and quoting as Redis does it (sdssplitargs/sdscatrepr):
 * used for config files, command-line options and inline commands.
 *
 * Strings are byte strings (latin1: one char per byte), so any byte survives.
 */

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKSLASH = 92;

/** C isspace() in the "C" locale. */
const isSpace = (c: number): boolean => c === SPACE || (c >= TAB && c <= CR);

/** Value of a hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** What a backslash escape in double quotes stands for (anything else is itself). */
function escapedChar(c: number): string {
  switch (c) {
    case 110: return '\n'; // n
    case 114: return '\r'; // r
    case 116: return '\t'; // t
    case 98: return '\b'; // b
    case 97: return '\x07'; // a
    default: return String.fromCharCode(c);
  }
}

/**
 * Splits a line into arguments with Redis's sdssplitargs rules: blanks
 * separate arguments; "double quotes" take \n \r \t \b \a \xHH and \<char>
 * escapes; 'single quotes' take only \'; a closing quote must be followed by
 * whitespace or the end. Quotes may start mid-argument (`a"b c"` is `ab c`).
 * Returns null on unbalanced quotes. As in Redis (which works on C strings),
 * a NUL byte ends the input.
 */
export function splitArgs(line: string): string[] | null {
  const nul = line.indexOf('\0');
  const n = nul === -1 ? line.length : nul;
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) return out;
    let token = '';
    let quote = 0; // 0, DQUOTE or SQUOTE: the quotes we are inside
    for (;;) {
      if (quote === 0) {
        // Copy a plain run at once: the common case is a line without quotes.
        let j = i;
        let c = 0;
        while (j < n) {
          c = line.charCodeAt(j);
          if (c === SPACE || c === TAB || c === LF || c === CR || c === DQUOTE || c === SQUOTE) break;
          j++;
        }
        token += line.slice(i, j);
        if (j >= n) { i = j; break; }
        i = j + 1;
        if (c === DQUOTE || c === SQUOTE) quote = c;
        else break; // a separator ends the argument
      } else {
        let j = i;
        while (j < n) {
          const c = line.charCodeAt(j);
          if (c === quote || c === BACKSLASH) break;
          j++;
        }
        token += line.slice(i, j);
        if (j >= n) return null; // unterminated quotes
        const next = j + 1 < n ? line.charCodeAt(j + 1) : 0;
        if (line.charCodeAt(j) === quote) {
          if (next !== 0 && !isSpace(next)) return null;
          i = j + 1;
          break;
        }
        // A backslash.
        if (quote === SQUOTE) {
          if (next === SQUOTE) { token += "'"; i = j + 2; } else { token += '\\'; i = j + 1; }
        } else if (next === 120 /* x */ && j + 3 < n && hexValue(line.charCodeAt(j + 2)) >= 0 && hexValue(line.charCodeAt(j + 3)) >= 0) {
          token += String.fromCharCode(hexValue(line.charCodeAt(j + 2)) * 16 + hexValue(line.charCodeAt(j + 3)));
          i = j + 4;
        } else if (next !== 0) {
          token += escapedChar(next);
          i = j + 2;
        } else {
          token += '\\';
          i = j + 1;
        }
      }
    }
    out.push(token);
  }
}

/**
 * Quotes a byte string as Redis's sdscatrepr: "..." with \\ \" \n \r \t \a \b
 * escapes and \xHH for other non-printable bytes. splitArgs reads it back.
 */
export function reprArg(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 && c <= 126 && c !== DQUOTE && c !== BACKSLASH) continue;
    out += s.slice(start, i);
    start = i + 1;
    switch (c) {
      case DQUOTE: out += '\\"'; break;
      case BACKSLASH: out += '\\\\'; break;
      case LF: out += '\\n'; break;
      case CR: out += '\\r'; break;
      case TAB: out += '\\t'; break;
      case 7: out += '\\a'; break;
      case 8: out += '\\b'; break;
      default: out += '\\x' + c.toString(16).padStart(2, '0');
    }
  }
  return out + s.slice(start) + '"';
}
