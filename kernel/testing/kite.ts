// Test helper: runs the real `kite up` as a child process in a temporary data directory and drives
// it with the real kubectl. Everything is cleaned up at teardown, also when the test fails.
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reset } from '../cli/reset.js';
import { findRepoRoot, compiledRoot } from '../paths.js';
import { spawnTied } from '../process/tied.js';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestKite {
  dataDir: string;
  apiUrl: string;
  natsUrl: string;
  kubeconfig: string;
  child: ChildProcess;
  /** Runs the real kubectl against this Kite; never throws on a non-zero exit. */
  kubectl(args: string[], opts?: { stdin?: string; env?: Record<string, string> }): Promise<KubectlResult>;
  /** HTTPS request with the admin token (or `token: null` for anonymous). */
  request(path: string, init?: { method?: string; body?: string | Buffer; headers?: Record<string, string>; token?: string | null }): Promise<{ status: number; headers: Record<string, string>; body: string }>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** Start again on the same data directory. */
  restart(extraArgs?: string[]): Promise<TestKite>;
  output(): string;
}

interface Teardownable {
  teardown(fn: () => unknown): void;
}

export const KUBECTL = process.env.KITE_KUBECTL ?? '/usr/bin/kubectl';

/** Deletes every pod (1 s grace) and waits until the node agent has released them. */
function deleteAllPods(dataDir: string, cacheDir: string): Promise<void> {
  const kubeconfig = join(dataDir, 'kubeconfig');
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, 'delete', 'pods', '--all', '--all-namespaces', '--grace-period=1', '--wait=true', '--timeout=60s'], { timeout: 70_000, env: { ...process.env, HOME: cacheDir } }, () => resolve());
  });
}

/** Lazily unmounts anything a failed test left mounted below `dir` (container root filesystems). */
function unmountUnder(dir: string): void {
  let mounts: string[] = [];
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${dir}/`));
  } catch {
    return;
  }
  for (const m of mounts.sort((a, b) => b.length - a.length)) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

export async function startTestKite(t: Teardownable, extraArgs: string[] = [], existingDataDir?: string): Promise<TestKite> {
  const dataDir = existingDataDir ?? mkdtempSync(join(tmpdir(), 'kite-up-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'kite-kubectl-cache-'));
  const cli = join(compiledRoot(), 'kernel', 'cli', 'kite.js');
  // Tied to this process: a test killed on its timeout does not leave `kite up` running.
  const child = spawnTied(process.execPath, [cli, 'up', '--data-dir', dataDir, '--port', '0', ...extraArgs], {
    cwd: findRepoRoot(),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KITE_LOG_LEVEL: process.env.KITE_LOG_LEVEL ?? 'warn' },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // Pods outlive `kite up` by design (the node agent adopts them after a restart): delete them
      // first, so a test leaves no containers, overlay mounts, sandboxes or addresses behind.
      await deleteAllPods(dataDir, cacheDir);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(cacheDir, { recursive: true, force: true });
    if (!existingDataDir) {
      // kite reset removes what the pods' deletion may have left (a failed test's containers,
      // sandboxes, cgroups, mounts) and what outlives every kite up: the node's bridge.
      await reset({ dataDir }).catch((e: Error) => process.stderr.write(`startTestKite: kite reset of ${dataDir}: ${e.message}\n`));
      unmountUnder(dataDir);
      try {
        rmSync(dataDir, { recursive: true, force: true });
      } catch (e) {
        process.stderr.write(`startTestKite: could not remove ${dataDir}: ${(e as Error).message}\n`);
      }
    }
  });
  let onEarlyExit: (code: number | null) => void = () => undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kite up did not come up within 60 s:\n${out}`)), 60_000);
    const check = () => {
      if (/Kite is up/.test(out) && /export KUBECONFIG=/.test(out)) { clearTimeout(timer); resolve(); }
    };
    child.stdout!.on('data', check);
    onEarlyExit = (code) => { clearTimeout(timer); reject(new Error(`kite up exited with ${code}:\n${out}`)); };
    child.once('exit', onEarlyExit);
  });
  child.off('exit', onEarlyExit);
  const state = JSON.parse(readFileSync(join(dataDir, 'kite.json'), 'utf8')) as { apiUrl: string; natsUrl: string; kubeconfig: string };
  const ca = readFileSync(join(dataDir, 'pki', 'ca.crt'));
  const token = readFileSync(join(dataDir, 'pki', 'admin.token'), 'utf8').trim();
  const kite: TestKite = {
    dataDir,
    apiUrl: state.apiUrl,
    natsUrl: state.natsUrl,
    kubeconfig: state.kubeconfig,
    child,
    output: () => out,
    kubectl: (args, opts = {}) =>
      new Promise((resolve) => {
        const p = execFile(
          KUBECTL,
          ['--kubeconfig', state.kubeconfig, '--cache-dir', cacheDir, ...args],
          { env: { ...process.env, HOME: cacheDir, ...opts.env }, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
          (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
        if (opts.stdin !== undefined) p.stdin!.end(opts.stdin);
      }),
    request: async (path, init = {}) => {
      const { request } = await import('node:https');
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = { ...init.headers };
        const tk = init.token === undefined ? token : init.token;
        if (tk) headers.authorization = `Bearer ${tk}`;
        let answered = false;
        const req = request(new URL(path, state.apiUrl), { method: init.method ?? 'GET', headers, ca }, (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks).toString() }));
          res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks).toString() }));
        });
        // A server that refuses a large body (413) answers and closes while we still write:
        // the write fails with EPIPE/ECONNRESET, but the answer may still arrive.
        req.on('error', (e: NodeJS.ErrnoException) => {
          if (answered) return;
          if (e.code === 'EPIPE' || e.code === 'ECONNRESET') setTimeout(() => { if (!answered) reject(e); }, 2000);
          else reject(e);
        });
        req.end(init.body);
      });
    },
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    restart: (args = extraArgs) => startTestKite(t, args, dataDir),
  };
  return kite;
}
