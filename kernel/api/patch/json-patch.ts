// JSON Patch (RFC 6902) with JSON Pointers (RFC 6901). Like the Kubernetes API server, a body that
// is not a JSON array of operations is 400 BadRequest, and an operation that cannot be applied
// (missing path, failed test, unknown op) is 422 with the reason in the Status causes.
import { StatusError, errors } from '../../objects/status.js';
import { unprocessable } from './errors.js';
import { cloneJson, deepEqual, isObject, parseJsonBody } from './values.js';

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

class OperationFailed extends Error {}

/** Upstream's cap on the operations of one JSON patch. */
const MAX_OPERATIONS = 10000;

export function parseJsonPatch(body: Buffer): Operation[] {
  let ops: unknown;
  try {
    ops = parseJsonBody(body);
  } catch (e) {
    throw errors.badRequest(`error decoding patch: ${(e as Error).message}`);
  }
  if (!Array.isArray(ops)) throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  for (const op of ops) {
    if (!isObject(op)) throw errors.badRequest('json: cannot unmarshal non-object into Go value of type jsonpatch.Operation');
  }
  if (ops.length > MAX_OPERATIONS) {
    throw new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${ops.length}`);
  }
  return ops as Operation[];
}

export function applyJsonPatch<T>(original: T, ops: Operation[]): T {
  let doc: unknown = cloneJson(original);
  try {
    for (const op of ops) doc = applyOperation(doc, op);
  } catch (e) {
    if (e instanceof OperationFailed) throw unprocessable(e.message);
    throw e;
  }
  return doc as T;
}

function applyOperation(doc: unknown, op: Operation): unknown {
  switch (op.op) {
    case 'add':
      return add(doc, requirePath(op, 'path'), cloneJson(requireValue(op)), 'add');
    case 'remove':
      return remove(doc, requirePath(op, 'path'), 'remove').doc;
    case 'replace': {
      const path = requirePath(op, 'path');
      get(doc, path, 'replace');
      return add(remove(doc, path, 'replace').doc, path, cloneJson(requireValue(op)), 'replace');
    }
    case 'move': {
      const from = requirePath(op, 'from');
      const path = requirePath(op, 'path');
      if (path !== from && path.startsWith(`${from}/`)) throw new OperationFailed(`move operation does not apply: from "${from}" is a prefix of path "${path}"`);
      const taken = remove(doc, from, 'move');
      return add(taken.doc, path, taken.value, 'move');
    }
    case 'copy': {
      const value = cloneJson(get(doc, requirePath(op, 'from'), 'copy'));
      return add(doc, requirePath(op, 'path'), value, 'copy');
    }
    case 'test': {
      const path = requirePath(op, 'path');
      const actual = get(doc, path, 'test', true);
      if (!deepEqual(actual, op.value ?? null)) throw new OperationFailed(`testing value ${path} failed: test failed`);
      return doc;
    }
    default:
      throw new OperationFailed(`Unexpected kind: ${String(op.op)}`);
  }
}

function requirePath(op: Operation, field: 'path' | 'from'): string {
  const p = op[field];
  if (typeof p !== 'string') throw new OperationFailed(`${op.op} operation missing ${field}`);
  return p;
}

function requireValue(op: Operation): unknown {
  if (!Object.hasOwn(op, 'value')) throw new OperationFailed(`${op.op} operation missing value`);
  return op.value;
}

/** Splits a JSON Pointer into unescaped reference tokens. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new OperationFailed(`JSON pointer must be empty or start with a "/": ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean, path: string, verb: string): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new OperationFailed(`${verb} operation does not apply: doc is missing path: "${path}": missing value`);
  const i = Number(token);
  if (i > length || (!allowEnd && i === length)) throw new OperationFailed(`${verb} operation does not apply: doc is missing path: "${path}": missing value`);
  return i;
}

/** The container holding the last token of `path`, walking from doc. */
function parentOf(doc: unknown, tokens: string[], path: string, verb: string): unknown {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, path, verb)];
    else if (isObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw new OperationFailed(`${verb} operation does not apply: doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function get(doc: unknown, path: string, verb: string, missingIsNull = false): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const missing = () => {
    if (missingIsNull) return null;
    throw new OperationFailed(`${verb} operation does not apply: doc is missing key: ${path}: missing value`);
  };
  let parent: unknown;
  try {
    parent = parentOf(doc, tokens, path, verb);
  } catch (e) {
    if (missingIsNull && e instanceof OperationFailed) return null;
    throw e;
  }
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    if (!/^(0|[1-9][0-9]*)$/.test(last) || Number(last) >= parent.length) return missing();
    return parent[Number(last)];
  }
  if (isObject(parent) && Object.hasOwn(parent, last)) return parent[last];
  return missing();
}

function add(doc: unknown, path: string, value: unknown, verb: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path, verb);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, path, verb), 0, value);
  else if (isObject(parent)) parent[last] = value;
  else throw new OperationFailed(`${verb} operation does not apply: doc is missing path: "${path}": missing value`);
  return doc;
}

function remove(doc: unknown, path: string, verb: string): { doc: unknown; value: unknown } {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return { doc: null, value: doc };
  const parent = parentOf(doc, tokens, path, verb);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length, false, path, verb);
    return { doc, value: parent.splice(i, 1)[0] };
  }
  if (isObject(parent) && Object.hasOwn(parent, last)) {
    const value = parent[last];
    delete parent[last];
    return { doc, value };
  }
  throw new OperationFailed(`${verb} operation does not apply: doc is missing path: "${path}": missing value`);
}
