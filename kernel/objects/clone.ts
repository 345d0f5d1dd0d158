// Deep copies of API objects. They are JSON data (decoded from the store, or about to be encoded
// into it), so a plain recursive copy does: ~6× faster than structuredClone on a pod here, and
// the store copies objects on every write. Anything else (a Date, a typed array) falls back to
// structuredClone for that value.

export function cloneJson<T>(value: T): T {
  return copy(value) as T;
}

function copy(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copy(v[i]);
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = copy((v as Record<string, unknown>)[k]);
  return out;
}
