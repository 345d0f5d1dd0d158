// Probes' httpGet and tcpSocket checks, run in a pod's network namespace: the host's curl for
// HTTP(S) and bash's /dev/tcp for TCP, both through nsenter.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { NetworkCheck } from '../node-agent/runtime.js';

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
  try {
    // bash's /dev/tcp: connect and close, nothing sent.
    await run('nsenter', [netns, 'bash', '-c', 'exec 3<>"/dev/tcp/$0/$1"', host, String(check.port)], { timeout: timeoutMs });
    return { ok: true };
  } catch {
    return { ok: false, message: `dial tcp ${host}:${check.port}: connect: connection refused` };
  }
}
