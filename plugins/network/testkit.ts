// Test helpers for the network plugin: fake CNI plugins as shell scripts, and network namespaces
// and bridges with per-test names that are removed at teardown (also when a test fails).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Tap {
  teardown(fn: () => unknown): void;
}

export function tempDir(t: Tap, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A fake CNI plugin: logs `<command> <stdin>` lines to `<dir>/calls.log`, answers VERSION with
 * `versions`, and for ADD runs `addScript` (shell; default: echo its prevResult or a fixed result).
 */
export function fakePlugin(dir: string, name: string, opts: { versions?: string[]; add?: string; del?: string; status?: string } = {}): void {
  const versions = JSON.stringify(opts.versions ?? ['0.4.0', '1.0.0', '1.1.0']);
  const script = `#!/bin/sh
input=$(cat)
printf '%s %s %s\\n' "${name}" "$CNI_COMMAND" "$input" >> "${join(dir, 'calls.log')}"
env | grep '^CNI_' | sort > "${join(dir, `${name}.env`)}"
case "$CNI_COMMAND" in
  VERSION) printf '{"cniVersion":"1.0.0","supportedVersions":%s}' '${versions}' ;;
  ADD) ${opts.add ?? `printf '{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"%s"}],"ips":[{"address":"10.9.0.7/24","interface":0}]}' "$CNI_NETNS"`} ;;
  DEL) ${opts.del ?? ':'} ;;
  STATUS) ${opts.status ?? ':'} ;;
  *) : ;;
esac
`;
  const path = join(dir, name);
  writeFileSync(path, script);
  chmodSync(path, 0o755);
}

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function trySh(cmd: string, args: string[]): string | undefined {
  try {
    return sh(cmd, args);
  } catch {
    return undefined;
  }
}

/** A named network namespace removed at teardown. */
export function netns(t: Tap, name: string): string {
  trySh('ip', ['netns', 'del', name]);
  sh('ip', ['netns', 'add', name]);
  t.teardown(() => trySh('ip', ['netns', 'del', name]));
  return `/var/run/netns/${name}`;
}

/** Removes a link (bridge) at teardown. */
export function removeLinkAtEnd(t: Tap, name: string): void {
  trySh('ip', ['link', 'del', name]);
  t.teardown(() => trySh('ip', ['link', 'del', name]));
}

export const uniq = () => Math.random().toString(36).slice(2, 7);

/** The network namespace of a pod attached by the CNI host (from its result cache). */
export function podNetns(nodeDir: string, podUid: string): string {
  const entry = JSON.parse(readFileSync(join(nodeDir, 'cni', 'results', `s-${podUid}-eth0.json`), 'utf8')) as { attachment: { netns: string } };
  return entry.attachment.netns;
}

const UDP_SERVER = `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>{s.send('pong:'+m,r.port,r.address,()=>{});});s.bind(Number(process.argv[1]),()=>console.log('ready'));setTimeout(()=>process.exit(0),30000);`;
const UDP_CLIENT = `const s=require('dgram').createSocket('udp4');let n=0;const go=()=>{if(n++>40){console.log('timeout');process.exit(1);}s.send('ping',Number(process.argv[2]),process.argv[1]);};s.on('message',(m)=>{console.log(String(m));process.exit(0);});go();setInterval(go,250);`;

/** A UDP round trip: a server in one pod's namespace, a client in another's (node test helpers entering the namespaces). */
export async function udpRoundTrip(t: Tap, serverNetns: string, serverIP: string, clientNetns: string, port = 9999): Promise<string> {
  const server = spawn('nsenter', [`--net=${serverNetns}`, process.execPath, '-e', UDP_SERVER, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => server.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    server.stdout.once('data', () => resolve());
    server.once('exit', (code) => reject(new Error(`UDP server exited with ${code}`)));
  });
  const out = await new Promise<string>((resolve) => {
    execFile('nsenter', [`--net=${clientNetns}`, process.execPath, '-e', UDP_CLIENT, serverIP, String(port)], { timeout: 20_000 }, (_err, stdout) => resolve(stdout.trim()));
  });
  server.kill('SIGKILL');
  return out;
}

/** Kills what a node's runtime left running (sandboxes, runc containers, rootfs mounts) and removes a bridge: teardown after failures, once the agent is stopped. */
export function cleanupNodeLeftovers(nodeDir: string, bridge?: string): void {
  const runtime = join(nodeDir, 'runtime');
  const runcRoot = join(runtime, 'runc');
  for (const id of (trySh('runc', ['--root', runcRoot, 'list', '-q']) ?? '').split('\n').filter(Boolean)) trySh('runc', ['--root', runcRoot, 'delete', '-f', id]);
  let bundles: string[] = [];
  try { bundles = readdirSync(join(runtime, 'containers')); } catch { /* none */ }
  for (const b of bundles) trySh('umount', ['-l', join(runtime, 'containers', b, 'rootfs')]);
  let files: string[] = [];
  try { files = readdirSync(join(runtime, 'sandboxes')); } catch { /* none */ }
  for (const f of files) {
    try {
      const { pid } = JSON.parse(readFileSync(join(runtime, 'sandboxes', f), 'utf8')) as { pid: number };
      process.kill(pid, 'SIGKILL');
    } catch { /* gone */ }
  }
  if (bridge) trySh('ip', ['link', 'del', bridge]);
}

/** Interfaces enslaved to a bridge (the pods' host-side veths). */
export function bridgePorts(bridge: string, netns?: string): string[] {
  const out = trySh('ip', [...(netns ? ['-n', netns] : []), '-o', 'link', 'show', 'master', bridge]) ?? '';
  return out.split('\n').filter(Boolean);
}

/** Polls `check` until it returns something truthy (returned), or throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 90_000, intervalMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
