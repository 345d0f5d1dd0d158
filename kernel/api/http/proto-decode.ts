// Kubernetes protobuf request bodies → the JSON object the REST layer understands. Go marshals
// every non-pointer field, empty or not, so zero values are dropped (as JSON's omitempty would)
// unless the schema marks the field as a pointer/required one.
import { StatusError, errors } from '../../objects/status.js';
import { readMessage, unwrapEnvelope } from './protobuf.js';
import { protoMessage, type ProtoField } from './proto-schema.js';

type Wire = number | Buffer;

function unsupported(what: string): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - ${what} is not supported in application/vnd.kubernetes.protobuf; accepted media types include: application/json, application/yaml`,
  );
}

/** True when a raw field carries nothing: 0, empty bytes, or a message made only of such fields. */
function wireEmpty(value: Wire): boolean {
  if (typeof value === 'number') return value === 0;
  if (value.length === 0) return true;
  try {
    for (const values of readMessage(value).values()) if (!values.every(wireEmpty)) return false;
    return true;
  } catch {
    return false;
  }
}

function isZero(value: unknown): boolean {
  if (value === '' || value === 0 || value === false || value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value as object).length === 0;
}

function bytes(value: Wire, path: string): Buffer {
  if (!Buffer.isBuffer(value)) throw errors.badRequest(`protobuf: ${path} should be length-delimited`);
  return value;
}

function num(value: Wire, path: string): number {
  if (typeof value !== 'number') throw errors.badRequest(`protobuf: ${path} should be a varint`);
  return value;
}

function last(fields: Map<number, Wire[]>, n: number): Wire | undefined {
  return fields.get(n)?.at(-1);
}

function str(value: Wire | undefined, path: string): string {
  return value === undefined ? '' : bytes(value, path).toString('utf8');
}

/** Time { seconds = 1; nanos = 2 } → RFC 3339, or null for the zero time. */
function time(buf: Buffer, path: string): string | null {
  const fields = readMessage(buf);
  const seconds = num(last(fields, 1) ?? 0, path);
  if (seconds === 0) return null;
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** IntOrString { type = 1 (0 int, 1 string); intVal = 2; strVal = 3 } */
function intOrString(buf: Buffer, path: string): number | string {
  const fields = readMessage(buf);
  return num(last(fields, 1) ?? 0, path) === 1 ? str(last(fields, 3), path) : num(last(fields, 2) ?? 0, path);
}

/** Map entries are messages { key = 1; value = 2 }. */
function mapEntries(values: Wire[], path: string, decodeValue: (v: Wire | undefined) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const entry of values) {
    const fields = readMessage(bytes(entry, path));
    out[str(last(fields, 1), path)] = decodeValue(last(fields, 2));
  }
  return out;
}

function scalar(field: ProtoField, value: Wire, path: string): unknown {
  switch (field.type) {
    case 's':
      return bytes(value, path).toString('utf8');
    case 'i':
      return num(value, path);
    case 'b':
      return num(value, path) !== 0;
    case 'y':
      return bytes(value, path).toString('base64');
    case 'q':
      return str(last(readMessage(bytes(value, path)), 1), path);
    case 'ios':
      return intOrString(bytes(value, path), path);
    case 't':
      return time(bytes(value, path), path);
    default:
      return decodeMessage(bytes(value, path), field.type, path);
  }
}

function decodeField(field: ProtoField, values: Wire[], path: string): unknown {
  switch (field.type) {
    case 'm':
      return mapEntries(values, path, (v) => str(v, path));
    case 'ym':
      return mapEntries(values, path, (v) => (v === undefined ? '' : bytes(v, path).toString('base64')));
    case 'qm':
      return mapEntries(values, path, (v) => (v === undefined ? '' : str(last(readMessage(bytes(v, path)), 1), path)));
  }
  if (field.repeated) return values.map((v) => scalar(field, v, path));
  return scalar(field, values[values.length - 1], path);
}

function decodeMessage(buf: Buffer, messageName: string, path: string): Record<string, unknown> {
  const schema = protoMessage(messageName);
  if (!schema) throw unsupported(path);
  const out: Record<string, unknown> = {};
  for (const [n, values] of readMessage(buf)) {
    const field = schema.get(n);
    if (!field) {
      if (values.every(wireEmpty)) continue;
      throw unsupported(`field ${n} of ${messageName} (${path})`);
    }
    const value = decodeField(field, values, `${path}.${field.name}`);
    if (field.inline) Object.assign(out, value);
    else if (field.keepZero || !isZero(value)) out[field.name] = value;
  }
  return out;
}

/** Decodes a `k8s\0`-enveloped protobuf body of a kind Kite knows into its JSON object. */
export function protobufToJson(body: Buffer): Record<string, unknown> {
  const { apiVersion, kind, raw } = unwrapEnvelope(body);
  // A layout particular to one version (`<Kind>@<group>/<version>`) wins over the kind's.
  if (!kind) throw unsupported('kind (none)');
  const message = protoMessage(`${kind}@${apiVersion}`) ? `${kind}@${apiVersion}` : kind;
  if (!protoMessage(message)) throw unsupported(`kind ${kind}`);
  return { apiVersion, kind, ...decodeMessage(raw, message, kind) };
}
