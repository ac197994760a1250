/**
 * Keyword arguments compared as Redis's strcasecmp compares them, without
 * the copy toUpperCase or toLowerCase makes of each argument.
 */

/** Whether `text` is the keyword `upper` (given in upper case, letters only) in any case. */
export function isKeyword(text: string, upper: string): boolean {
  const n = upper.length;
  if (text.length !== n) return false;
  // Clearing bit 5 upper-cases a letter and leaves no other character equal to one.
  for (let i = 0; i < n; i++) if ((text.charCodeAt(i) & 0xdf) !== upper.charCodeAt(i)) return false;
  return true;
}
