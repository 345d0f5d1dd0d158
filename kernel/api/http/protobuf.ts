// A minimal reader for Kubernetes' protobuf wire format ("k8s\0" + runtime.Unknown envelope).
// kubectl's typed clients send some request bodies as protobuf (SelfSubjectAccessReview for
// `kubectl auth can-i`); answers may still be JSON because they also accept application/json.
import { errors } from '../../objects/status.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from('k8s\0', 'latin1');

/** Field number → values in order: varints as numbers, length-delimited fields as bytes. */
export type ProtoFields = Map<number, (number | Buffer)[]>;

export function isProtobuf(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
}

export function readMessage(buf: Buffer): ProtoFields {
  const fields: ProtoFields = new Map();
  let pos = 0;
  const varint = (): number => {
    // BigInt keeps int64 exact: negative numbers arrive as 10-byte two's complement.
    let value = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw errors.badRequest('truncated protobuf varint');
      const byte = buf[pos++];
      value |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if ((byte & 0x80) === 0) return Number(BigInt.asIntN(64, value));
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 0) throw errors.badRequest('invalid protobuf field number 0');
    let value: number | Buffer;
    if (wireType === 0) value = varint();
    else if (wireType === 2) {
      const length = varint();
      if (length < 0 || pos + length > buf.length) throw errors.badRequest('truncated protobuf field');
      value = buf.subarray(pos, pos + length);
      pos += length;
    } else if (wireType === 1 || wireType === 5) {
      const size = wireType === 1 ? 8 : 4;
      if (pos + size > buf.length) throw errors.badRequest('truncated protobuf field');
      value = buf.subarray(pos, pos + size);
      pos += size;
    } else throw errors.badRequest(`unsupported protobuf wire type ${wireType}`);
    const values = fields.get(field);
    if (values) values.push(value);
    else fields.set(field, [value]);
  }
  return fields;
}

function bytesField(fields: ProtoFields, field: number): Buffer | undefined {
  const v = fields.get(field)?.at(-1);
  return Buffer.isBuffer(v) ? v : undefined;
}

/** Reads a message of string fields, numbered from 1 in the order of `names`. */
function readStrings(buf: Buffer | undefined, names: string[]): Record<string, string> | undefined {
  if (!buf) return undefined;
  const fields = readMessage(buf);
  const out: Record<string, string> = {};
  names.forEach((name, i) => {
    const value = bytesField(fields, i + 1);
    if (value && value.length > 0) out[name] = value.toString('utf8');
  });
  return out;
}

/** Unwraps the envelope: the object's apiVersion/kind and its raw encoded message. */
export function unwrapEnvelope(body: Buffer): { apiVersion?: string; kind?: string; raw: Buffer } {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw errors.badRequest('protobuf body lacks the k8s envelope prefix');
  const unknown = readMessage(body.subarray(MAGIC.length));
  const typeMeta = readStrings(bytesField(unknown, 1), ['apiVersion', 'kind']) ?? {};
  return { ...typeMeta, raw: bytesField(unknown, 2) ?? Buffer.alloc(0) };
}
