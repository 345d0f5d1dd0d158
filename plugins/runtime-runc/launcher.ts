// Starting a program from Node forks the calling process synchronously, on its event loop; with a
// large heap and a busy machine that cost ~20 ms per start here, so 50 pods starting together
// (sandbox, overlay mount, supervisor: three programs each) queued ~3 s behind each other's forks.
// The runtime therefore starts programs through one small long-lived launcher process
// (launcher-main.ts): its forks are cheap and happen off the agent's event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const LAUNCHER_SCRIPT = fileURLToPath(new URL('./launcher-main.js', import.meta.url));

interface Answer {
  id: number;
  pid?: number;
  code?: number | null;
  signal?: string | null;
  stdout?: string;
  stderr?: string;
  error?: string;
}

/** What execFile's rejection carries, so callers can treat both alike. */
export class LaunchError extends Error {
  constructor(message: string, readonly code: number | string | undefined, readonly stdout: string, readonly stderr: string, readonly killed = false) {
    super(message);
  }
}

export class Launcher {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, (a: Answer) => void>();

  private ensure(): ChildProcess {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return this.child;
    const child = spawn(process.execPath, [LAUNCHER_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin!.on('error', () => undefined);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let a: Answer;
      try { a = JSON.parse(line) as Answer; } catch { return; }
      const done = this.pending.get(a.id);
      this.pending.delete(a.id);
      if (this.pending.size === 0) this.hold(false);
      done?.(a);
    });
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
      for (const [id, done] of this.pending) done({ id, error: 'the launcher process exited' });
      this.pending.clear();
    });
    this.child = child;
    this.hold(false);
    return child;
  }

  /** The launcher keeps the agent's process alive only while an answer is awaited. */
  private hold(on: boolean): void {
    const child = this.child;
    if (!child) return;
    for (const handle of [child, child.stdout, child.stdin] as unknown as Array<{ ref?: () => void; unref?: () => void } | null>) {
      if (on) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  private request(req: { file: string; args: string[]; detached?: boolean; untilStdoutCloses?: boolean; timeoutMs?: number }): Promise<Answer> {
    const child = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      if (this.pending.size === 1) this.hold(true);
      child.stdin!.write(`${JSON.stringify({ id, ...req })}\n`);
    });
  }

  /** Like promisified execFile: resolves with the output on exit 0, rejects with a LaunchError otherwise. */
  async run(file: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
    const a = await this.request({ file, args, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
    const stdout = a.stdout ?? '';
    const stderr = a.stderr ?? '';
    if (a.error) throw new LaunchError(`${file}: ${a.error}`, 'ENOENT', stdout, stderr);
    if (a.code === 0) return { stdout, stderr };
    const killed = a.code === null && a.signal === 'SIGKILL' && !!opts.timeoutMs;
    throw new LaunchError(`Command failed: ${file} ${args.join(' ')}\n${stderr}`, a.code ?? undefined, stdout, stderr, killed);
  }

  /** Starts a program in its own session with no stdio; resolves with its pid. */
  async detached(file: string, args: string[]): Promise<number> {
    const a = await this.request({ file, args, detached: true });
    if (a.error || !a.pid) throw new Error(`cannot start ${file}: ${a.error ?? 'no pid'}`);
    return a.pid;
  }

  /**
   * Starts a program in its own session whose stdout is a pipe, and resolves once it has closed
   * that pipe (exited, or redirected it away before `exec`), with its pid and what it wrote.
   */
  async detachedUntilReady(file: string, args: string[]): Promise<{ pid: number; stdout: string }> {
    const a = await this.request({ file, args, detached: true, untilStdoutCloses: true });
    if (a.error || !a.pid) throw new Error(`cannot start ${file}: ${a.error ?? 'no pid'}`);
    return { pid: a.pid, stdout: a.stdout ?? '' };
  }

  close(): void {
    this.child?.stdin?.end();
    this.child = undefined;
  }
}
