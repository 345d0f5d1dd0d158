// The gRPC health probe: request bytes and verdicts against known vectors, then real checks through
// nsenter + curl against an HTTP/2 health server running in a network namespace this test creates
// (loopback only, no route out; removed at the end).
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { netns, tempDir, uniq } from '../network/testkit.js';
import { grpcHealthRequest, grpcHealthVerdict, servingStatus, splitCurlOutput } from './grpc-health.js';
import { checkInNetns } from './network-check.js';

t.test('request frames and response parsing', async (t) => {
  t.same([...grpcHealthRequest('')], [0, 0, 0, 0, 0], 'empty service: an empty message');
  t.same([...grpcHealthRequest('web')], [0, 0, 0, 0, 5, 0x0a, 3, 0x77, 0x65, 0x62], 'service "web": field 1, length 3');
  t.equal(grpcHealthRequest('x'.repeat(200)).subarray(5, 8).toString('hex'), '0ac801', 'a 200-byte name has a two-byte varint length');
  t.equal(servingStatus(Buffer.from([0, 0, 0, 0, 2, 0x08, 1])), 1, 'SERVING');
  t.equal(servingStatus(Buffer.from([0, 0, 0, 0, 0])), 0, 'an empty message is UNKNOWN (proto3 default)');
  t.equal(servingStatus(Buffer.from([0, 0, 0, 0, 6, 0x12, 2, 0x61, 0x62, 0x08, 2])), 2, 'an unknown field before status is skipped');
  t.equal(servingStatus(Buffer.from([0, 0, 0, 0, 9, 0x08])), undefined, 'a truncated message');
  const dump = Buffer.concat([Buffer.from('HTTP/2 200 \r\ncontent-type: application/grpc\r\n\r\n'), Buffer.from([0, 0, 0, 0, 2, 8, 1]), Buffer.from('grpc-status: 0\r\n')]);
  const split = splitCurlOutput(dump);
  t.same([...split.body], [0, 0, 0, 0, 2, 8, 1], 'the message between headers and trailers');
  t.match(split.headers, /content-type: application\/grpc\r\n[^]*grpc-status: 0/, 'headers and trailers together');
  t.same(splitCurlOutput(Buffer.from('HTTP/2 200 \r\ngrpc-status: 5\r\n\r\n')).body.length, 0, 'a trailers-only answer has no message');
  const base = { headers: 'HTTP/2 200\r\ncontent-type: application/grpc\r\n\r\ngrpc-status: 0\r\n', address: '127.0.0.1:9', timeoutMs: 1000 };
  t.same(grpcHealthVerdict({ ...base, curlExit: 0, body: Buffer.from([0, 0, 0, 0, 2, 8, 1]) }), { ok: true });
  t.same(grpcHealthVerdict({ ...base, curlExit: 0, body: Buffer.from([0, 0, 0, 0, 2, 8, 2]) }), { ok: false, message: 'service unhealthy (responded with "NOT_SERVING")' });
  t.same(grpcHealthVerdict({ ...base, curlExit: 7, body: Buffer.alloc(0) }), { ok: false, message: 'timeout: failed to connect service "127.0.0.1:9" within 1s: connection refused' });
  t.same(grpcHealthVerdict({ ...base, curlExit: 28, body: Buffer.alloc(0) }), { ok: false, message: 'timeout: health rpc did not complete within 1s' });
  t.match(grpcHealthVerdict({ ...base, headers: 'HTTP/2 200\r\ngrpc-status: 12\r\ngrpc-message: unknown%20method\r\n', curlExit: 0, body: Buffer.alloc(0) }).message, /does not implement the grpc health protocol \(grpc\.health\.v1\.Health\): unknown method/);
  t.match(grpcHealthVerdict({ ...base, headers: 'HTTP/2 200\r\ngrpc-status: 5\r\n', curlExit: 0, body: Buffer.alloc(0) }).message, /health rpc probe failed: rpc error: code = 5/);
  t.match(grpcHealthVerdict({ ...base, headers: 'HTTP/1.1 200 OK\r\n', curlExit: 0, body: Buffer.from('hello') }).message, /no gRPC status/);
});

// A health server on Node's http2: the whole server SERVING (or what argv says), "web" NOT_SERVING,
// other services NOT_FOUND; with `unimplemented`, every call gets UNIMPLEMENTED.
const SERVER = `
import http2 from 'node:http2';
const [port, mode] = process.argv.slice(2);
const statuses = new Map([['', mode === 'not-serving' ? 2 : 1], ['web', 2]]);
http2.createServer().on('stream', (stream, headers) => {
  const chunks = [];
  stream.on('data', (c) => chunks.push(c));
  stream.on('end', () => {
    const trailersOnly = (code, msg) => stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': msg }, { endStream: true });
    if (mode === 'unimplemented' || headers[':path'] !== '/grpc.health.v1.Health/Check') return trailersOnly(12, 'unknown service grpc.health.v1.Health');
    const msg = Buffer.concat(chunks).subarray(5);
    const service = msg.length > 2 && msg[0] === 0x0a ? msg.subarray(2, 2 + msg[1]).toString() : '';
    if (!statuses.has(service)) return trailersOnly(5, 'unknown service');
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, statuses.get(service)]));
  });
}).listen(Number(port), '127.0.0.1', () => console.log('listening'));
`;

t.test('checks through nsenter against a health server in a pod-like network namespace', { skip: process.getuid?.() !== 0 ? 'needs root (network namespaces)' : false }, async (t) => {
  const dir = tempDir(t, 'kite-grpc-');
  const script = join(dir, 'server.mjs');
  writeFileSync(script, SERVER);
  const name = `kite-grpc-${uniq()}`;
  const ns = netns(t, name);
  await new Promise<void>((resolve, reject) => {
    const up = spawn('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    up.once('close', (c) => (c === 0 ? resolve() : reject(new Error(`ip link set lo up: exit ${c}`))));
  });
  const start = (port: number, mode: string) => new Promise<void>((resolve, reject) => {
    const server = spawn('ip', ['netns', 'exec', name, process.execPath, script, String(port), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.teardown(() => { server.kill('SIGKILL'); });
    server.once('error', reject);
    server.stdout.once('data', () => resolve());
  });
  await start(50051, 'serving');
  await start(50052, 'not-serving');
  await start(50053, 'unimplemented');

  t.same(await checkInNetns(ns, { kind: 'grpc', port: 50051 }, 2000), { ok: true }, 'the server as a whole is SERVING');
  t.same(await checkInNetns(ns, { kind: 'grpc', port: 50051, service: 'web' }, 2000), { ok: false, message: 'service unhealthy (responded with "NOT_SERVING")' }, 'a service that is NOT_SERVING');
  t.match(await checkInNetns(ns, { kind: 'grpc', port: 50051, service: 'nope' }, 2000), { ok: false, message: /health rpc probe failed: rpc error: code = 5 desc = unknown service/ }, 'an unknown service');
  t.same(await checkInNetns(ns, { kind: 'grpc', port: 50052 }, 2000), { ok: false, message: 'service unhealthy (responded with "NOT_SERVING")' });
  t.match(await checkInNetns(ns, { kind: 'grpc', port: 50053 }, 2000), { ok: false, message: /does not implement the grpc health protocol/ });
  t.match(await checkInNetns(ns, { kind: 'grpc', port: 50059 }, 2000), { ok: false, message: /failed to connect service "127\.0\.0\.1:50059"/ }, 'nothing listening');
  t.same(await checkInNetns(ns, { kind: 'tcp', port: 50051 }, 2000), { ok: true }, 'a TCP check still only connects');
});
