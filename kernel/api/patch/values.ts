// Small helpers over JSON values shared by every patch flavour. Patches work on copies: inputs
// may be frozen or shared with a cache, so nothing here mutates its arguments.

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep copy of a JSON value (keeps `undefined` fields out, like a JSON round trip would). */
export function cloneJson<T>(v: T): T {
  if (Array.isArray(v)) return v.map((item) => cloneJson(item)) as T;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, val] of Object.entries(v)) if (val !== undefined) out[k] = cloneJson(val);
    return out as T;
  }
  return v;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ak = Object.keys(a).filter((k) => a[k] !== undefined);
    const bk = Object.keys(b).filter((k) => b[k] !== undefined);
    return ak.length === bk.length && ak.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Parses a JSON request body; the caller decides which Status a syntax error becomes. */
export function parseJsonBody(body: Buffer): unknown {
  return JSON.parse(body.toString('utf8'));
}

/** Removes null-valued fields recursively (apply configurations use null as "no opinion"). */
export function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, val] of Object.entries(v)) if (val !== null && val !== undefined) out[k] = withoutNulls(val);
    return out;
  }
  return v;
}
