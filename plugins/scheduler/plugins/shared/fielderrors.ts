// Field errors worded as k8s.io/apimachinery's field.Error (`<path>: Invalid value: 5: <detail>`),
// so plugin args refusals read like kube-scheduler's, and a small strict reader for args objects.

function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export const fieldError = {
  invalid: (path: string, value: unknown, detail: string) => `${path}: Invalid value: ${formatValue(value)}: ${detail}`,
  required: (path: string, detail: string) => `${path}: Required value${detail ? `: ${detail}` : ''}`,
  forbidden: (path: string, detail: string) => `${path}: Forbidden: ${detail}`,
  duplicate: (path: string, value: unknown) => `${path}: Duplicate value: ${formatValue(value)}`,
  notSupported: (path: string, value: unknown, supported: readonly string[]) =>
    `${path}: Unsupported value: ${formatValue(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  typeInvalid: (path: string, value: unknown, detail: string) => `${path}: Invalid value: ${formatValue(value)}: ${detail}`,
};

/** Thrown by a factory's validate(): the message lists every problem, each naming its field. */
export class ArgsError extends Error {
  constructor(readonly errors: readonly string[]) {
    // One error reads as itself; several as upstream's aggregate `[a, b]`.
    super(errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`);
    this.name = 'ArgsError';
  }
}

export function throwIfAny(errors: readonly string[]): void {
  if (errors.length) throw new ArgsError(errors);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads a plugin's args object (undefined/null = all defaults). Refuses unknown keys as upstream's
 * strict decoding does; `apiVersion` and `kind` are allowed and `kind` must name the args type.
 */
export function readArgsObject(args: unknown, kind: string, allowed: readonly string[]): Record<string, unknown> {
  if (args === undefined || args === null) return {};
  if (!isPlainObject(args)) throw new ArgsError([fieldError.typeInvalid(kind, args, `must be a ${kind} object`)]);
  const errors: string[] = [];
  for (const k of Object.keys(args)) {
    if (k === 'apiVersion') continue;
    if (k === 'kind') {
      if (args.kind !== kind) errors.push(fieldError.invalid(`${kind}.kind`, args.kind, `must be ${kind}`));
      continue;
    }
    if (!allowed.includes(k)) errors.push(`${kind}.${k}: unknown field "${k}"`);
  }
  throwIfAny(errors);
  return args;
}

/** A list field: undefined/null → [], a non-list is an error. */
export function readList(v: unknown, path: string, errors: string[]): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    errors.push(fieldError.typeInvalid(path, v, 'must be a list'));
    return [];
  }
  return v;
}

export function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** validate() for plugins that take no args: absent or empty is fine, anything else is refused. */
export function noArgs(plugin: string, args: unknown): void {
  if (args === undefined || args === null) return;
  if (isPlainObject(args) && Object.keys(args).every((k) => k === 'apiVersion' || k === 'kind')) return;
  throw new ArgsError([fieldError.invalid(`${plugin}.args`, args, `plugin ${plugin} takes no args`)]);
}
