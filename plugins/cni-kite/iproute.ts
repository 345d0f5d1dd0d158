// iproute2 from the plugin: one `ip -batch -` per network namespace per command keeps ADD at two
// short-lived child processes. The container's namespace is entered with `nsenter --net=<path>`
// because CNI_NETNS is a path (it need not live under /var/run/netns, which `ip -n` requires).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface IpRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ip <flags> -batch -` (in `netnsPath` if given) with `lines` on stdin. */
export function ipBatch(lines: string[], opts: { netnsPath?: string; json?: boolean } = {}): Promise<IpRun> {
  const ipArgs = [...(opts.json ? ['-j'] : []), '-batch', '-'];
  const [cmd, args] = opts.netnsPath ? ['nsenter', [`--net=${opts.netnsPath}`, 'ip', ...ipArgs]] : ['ip', ipArgs];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: `${cmd}: ${err.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => undefined); // ip may exit before reading everything
    child.stdin.end(lines.join('\n') + '\n');
  });
}

/** The 1-based batch line that failed ("Command failed -:3"), or undefined. */
export function failedLine(run: IpRun): number | undefined {
  const m = /Command failed -:(\d+)/.exec(run.stderr);
  return m ? Number(m[1]) : undefined;
}

/** The one-line reason iproute2 gave, without its batch bookkeeping. */
export function ipMessage(run: IpRun): string {
  return run.stderr.split('\n').filter((l) => l && !l.startsWith('Command failed')).join('; ') || `ip exited with ${run.code}`;
}

/** Each JSON document `ip -j -batch` printed (one per show command, one per line). */
export function parseJsonLines<T>(stdout: string): T[][] {
  return stdout.split('\n').filter((l) => l.startsWith('[')).map((l) => JSON.parse(l) as T[]);
}

/** Interface names of this process's network namespace, without spawning `ip`. */
export function localInterfaces(): Set<string> {
  // /proc/self/net follows the reader's network namespace (unlike /sys/class/net, which follows
  // the namespace of whoever mounted sysfs), so this is right under `nsenter --net` too.
  const text = readFileSync('/proc/self/net/dev', 'utf8');
  const names = new Set<string>();
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon > 0) names.add(line.slice(0, colon).trim());
  }
  return names;
}

/** 8 hex digits of FNV-1a over `text`: short, stable names for kernel objects. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (const ch of text) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** A stable host-side veth name for one attachment: "veth" + 8 hex digits. */
export function hostVethName(containerID: string, ifname: string): string {
  return `veth${shortHash(`${containerID}/${ifname}`)}`;
}

/** The container interface's MAC: locally administered 0a:58 + the IPv4 address, as in Kubernetes networks. */
export function containerMac(ip: number): string {
  return ['0a', '58', ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].map((b) => (typeof b === 'string' ? b : b.toString(16).padStart(2, '0'))).join(':');
}
