/**
 * The buffer where the packed forms of small collections are assembled: a
 * string decoded from a Buffer is flat, where `+` would make a rope that
 * costs an object per piece until it is flattened.
 */
let scratch = Buffer.allocUnsafe(4096);

/** The scratch buffer, with room for at least `bytes` bytes (its contents are lost when it grows). */
export function scratchFor(bytes: number): Buffer {
  if (scratch.length < bytes) scratch = Buffer.allocUnsafe(Math.max(bytes, 2 * scratch.length));
  return scratch;
}
