// The embedded NATS server: `kite up` runs `nats-server -js` as a child on a free loopback port
// with its store under the data directory, and stops it on exit.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { spawnTied } from '../process/tied.js';
import { join } from 'node:path';
import { connect } from 'nats';


export interface EmbeddedNatsOptions {
  /** JetStream store directory is `<dataDir>/nats`. */
  dataDir: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  binary?: string;
  readyTimeoutMs?: number;
}

export interface EmbeddedNats {
  url: string;
  pid: number;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL at once (crash tests). */
  kill(): Promise<void>;
}

export async function startEmbeddedNats(opts: EmbeddedNatsOptions): Promise<EmbeddedNats> {
  const storeDir = join(opts.dataDir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  const host = opts.host ?? '127.0.0.1';
  const args = ['-js', '-sd', storeDir, '-a', host, '-p', String(opts.port && opts.port > 0 ? opts.port : -1), '--http_port', '0'];
  // With setpriv (util-linux), the server gets SIGTERM when this process dies, even by SIGKILL:
  // a killed `kite up` must not leave a server holding the store for the next start.
  const binary = opts.binary ?? 'nats-server';
  const child = spawnTied(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await waitListening(child, opts.readyTimeoutMs ?? 15_000);
  await waitJetStream(url, opts.readyTimeoutMs ?? 15_000);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const stop = async (signal: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };
  return { url, pid: child.pid ?? 0, stop: () => stop('SIGTERM', 5000), kill: () => stop('SIGKILL', 0) };
}

function waitListening(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => fail(`nats-server did not start within ${timeoutMs} ms`), timeoutMs);
    const fail = (msg: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${msg}\n${log.slice(-2000)}`));
    };
    child.once('error', (e) => fail(`cannot run nats-server: ${e.message} (install the Debian package nats-server)`));
    child.once('exit', (code) => fail(`nats-server exited with code ${code}`));
    let url = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (log.length < 64_000) log += chunk;
      const m = /Listening for client connections on ([\d.:\[\]a-f]+)/.exec(log);
      if (m && !url) url = `nats://${m[1]}`;
      if (url && log.includes('Server is ready')) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stderr?.removeAllListeners('data');
        child.stderr?.resume();
        resolve(url);
      }
    });
  });
}

async function waitJetStream(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const nc = await connect({ servers: url });
  try {
    for (;;) {
      try {
        await (await nc.jetstreamManager()).getAccountInfo();
        return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`JetStream not ready at ${url}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await nc.close();
  }
}
