/** A copy of `a` with room for at least `atLeast` elements (doubling, at least 256); new lanes are 0. */
export function grown<T extends Float64Array | Int32Array | Uint8Array>(a: T, atLeast: number): T {
  const out = new (a.constructor as new (n: number) => T)(Math.max(atLeast, a.length * 2, 256));
  out.set(a);
  return out;
}
