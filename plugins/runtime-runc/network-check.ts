// Probes' httpGet, tcpSocket and grpc checks, run in a pod's network namespace through nsenter:
// the host's curl for HTTP(S) and for gRPC (HTTP/2 without TLS, as the kubelet's probe dials), and
// bash's /dev/tcp for TCP.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { NetworkCheck } from '../node-agent/runtime.js';
import { grpcHealthRequest, grpcHealthVerdict, splitCurlOutput } from './grpc-health.js';

const run = promisify(execFile);

export async function checkInNetns(netnsPath: string, check: NetworkCheck, timeoutMs: number): Promise<{ ok: boolean; message?: string }> {
  const host = check.host || '127.0.0.1';
  const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  const netns = `--net=${netnsPath}`;
  if (check.kind === 'http') {
    const url = `${(check.scheme ?? 'HTTP').toLowerCase()}://${host}:${check.port}${check.path}`;
    // The host's curl in the pod's network namespace; Kubernetes counts 200-399 as success.
    try {
      const { stdout } = await run('nsenter', [netns, 'curl', '-s', '-k', '-o', '/dev/null', '-w', '%{http_code}', '-m', seconds, url], { timeout: timeoutMs + 1000 });
      const code = Number(stdout.trim());
      return code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` };
    } catch {
      return { ok: false, message: `Get "${url}": dial tcp ${host}:${check.port}: connect: connection refused` };
    }
  }
  if (check.kind === 'grpc') return grpcCheck(netns, host, check.port, check.service ?? '', timeoutMs);
  try {
    // bash's /dev/tcp: connect and close, nothing sent.
    await run('nsenter', [netns, 'bash', '-c', 'exec 3<>"/dev/tcp/$0/$1"', host, String(check.port)], { timeout: timeoutMs });
    return { ok: true };
  } catch {
    return { ok: false, message: `dial tcp ${host}:${check.port}: connect: connection refused` };
  }
}

/**
 * grpc.health.v1.Health/Check over HTTP/2 with prior knowledge: curl sends the framed request
 * from stdin and writes headers, the response message and the trailers (grpc-status) to stdout in
 * that order (stdio here are sockets, which curl cannot reopen as /dev/stderr for a separate
 * header dump); grpc-health.ts splits them and reads the verdict with the kubelet's messages.
 */
function grpcCheck(netns: string, host: string, port: number, service: string, timeoutMs: number): Promise<{ ok: boolean; message?: string }> {
  const seconds = (Math.max(1000, timeoutMs) / 1000).toFixed(3);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/grpc.health.v1.Health/Check`;
  const args = [netns, 'curl', '-s', '--http2-prior-knowledge', '-X', 'POST', '-H', 'content-type: application/grpc', '-H', 'te: trailers',
    '--data-binary', '@-', '-D', '-', '-o', '-', '-m', seconds, url];
  return new Promise((resolve) => {
    const child = spawn('nsenter', args, { stdio: ['pipe', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stdin.on('error', () => undefined);
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 1000);
    child.once('error', (e) => { clearTimeout(killer); resolve({ ok: false, message: `grpc probe: ${e.message}` }); });
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve(grpcHealthVerdict({ curlExit: code ?? -1, ...splitCurlOutput(Buffer.concat(out)), address: `${host}:${port}`, timeoutMs }));
    });
    child.stdin.end(grpcHealthRequest(service));
  });
}
