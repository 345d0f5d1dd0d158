// The gRPC health checking protocol (grpc.health.v1) as a probe needs it: the framed request and
// the verdict from what came back, with the kubelet's probe messages. The bytes are protobuf by
// hand: HealthCheckRequest { string service = 1 }, HealthCheckResponse { ServingStatus status = 1 }.

/** HealthCheckResponse.ServingStatus names, by number. */
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
const SERVING = 1;
/** gRPC status codes the kubelet's messages tell apart. */
const UNIMPLEMENTED = 12;
const DEADLINE_EXCEEDED = 4;
/** curl's exit codes for a connection that never came up, and for its time limit. */
const CURL_CANNOT_CONNECT = new Set([6, 7]);
const CURL_TIMEOUT = 28;

/** One length-prefixed gRPC message (uncompressed) holding HealthCheckRequest{service}. */
export function grpcHealthRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  const message = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
  const frame = Buffer.alloc(5);
  frame.writeUInt32BE(message.length, 1);
  return Buffer.concat([frame, message]);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** The status field of the first HealthCheckResponse in `body` (0 when absent: proto3 default). */
export function servingStatus(body: Buffer): number | undefined {
  if (body.length < 5 || body[0] !== 0) return undefined;
  const len = body.readUInt32BE(1);
  const msg = body.subarray(5, 5 + len);
  if (msg.length < len) return undefined;
  let status = 0;
  for (let i = 0; i < msg.length;) {
    const key = readVarint(msg, i);
    if (!key) return undefined;
    i = key.next;
    const field = key.value >>> 3;
    const wire = key.value & 7;
    if (wire === 0) {
      const v = readVarint(msg, i);
      if (!v) return undefined;
      if (field === 1) status = v.value;
      i = v.next;
    } else if (wire === 2) {
      const l = readVarint(msg, i);
      if (!l) return undefined;
      i = l.next + l.value;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else return undefined;
  }
  return status;
}

function readVarint(b: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0, i = at; i < b.length && shift < 35; shift += 7, i++) {
    value += (b[i]! & 0x7f) * 2 ** shift;
    if ((b[i]! & 0x80) === 0) return { value, next: i + 1 };
  }
  return undefined;
}

/** The last value of `name` among the HTTP header and trailer lines curl dumped. */
function lastHeader(dump: string, name: string): string | undefined {
  let found: string | undefined;
  for (const line of dump.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) found = line.slice(colon + 1).trim();
  }
  return found;
}

/**
 * curl's `-D - -o -` output: the header block up to the first blank line, then the gRPC message
 * (length-prefixed), then the trailer lines. Returns headers and trailers as one text, and the message.
 */
export function splitCurlOutput(out: Buffer): { headers: string; body: Buffer } {
  const end = out.indexOf('\r\n\r\n');
  if (end < 0) return { headers: out.toString('latin1'), body: Buffer.alloc(0) };
  const rest = out.subarray(end + 4);
  const bodyLength = rest.length >= 5 && rest[0] === 0 ? Math.min(rest.length, 5 + rest.readUInt32BE(1)) : 0;
  return { headers: out.subarray(0, end + 2).toString('latin1') + rest.subarray(bodyLength).toString('latin1'), body: rest.subarray(0, bodyLength) };
}

export interface GrpcExchange {
  curlExit: number;
  /** Response headers and trailers (header lines). */
  headers: string;
  body: Buffer;
  address: string;
  timeoutMs: number;
}

/** Healthy only on SERVING, as the kubelet's gRPC probe; otherwise its reason, in the kubelet's words. */
export function grpcHealthVerdict(x: GrpcExchange): { ok: boolean; message?: string } {
  const within = `${x.timeoutMs / 1000}s`;
  if (CURL_CANNOT_CONNECT.has(x.curlExit)) return { ok: false, message: `timeout: failed to connect service "${x.address}" within ${within}: connection refused` };
  if (x.curlExit === CURL_TIMEOUT) return { ok: false, message: `timeout: health rpc did not complete within ${within}` };
  const grpcStatus = Number(lastHeader(x.headers, 'grpc-status') ?? NaN);
  const grpcMessage = decodeURIComponentSafe(lastHeader(x.headers, 'grpc-message') ?? '');
  if (grpcStatus === UNIMPLEMENTED) return { ok: false, message: `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${grpcMessage}` };
  if (grpcStatus === DEADLINE_EXCEEDED) return { ok: false, message: `timeout: health rpc did not complete within ${within}` };
  if (x.curlExit !== 0 || Number.isNaN(grpcStatus) || grpcStatus !== 0) {
    const detail = Number.isNaN(grpcStatus) ? `no gRPC status in the response (curl exit ${x.curlExit})` : `rpc error: code = ${grpcStatus} desc = ${grpcMessage}`;
    return { ok: false, message: `error: health rpc probe failed: ${detail}` };
  }
  const status = servingStatus(x.body);
  if (status === undefined) return { ok: false, message: 'error: health rpc probe failed: malformed HealthCheckResponse' };
  if (status === SERVING) return { ok: true };
  return { ok: false, message: `service unhealthy (responded with "${SERVING_STATUS[status] ?? String(status)}")` };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
