// kubectl attach for runc containers. A container created with `stdin` (or `tty`) reads a FIFO in
// its bundle, opened read-write by the supervisor so it never sees end-of-file between attachers;
// with `tty` the process gets `terminal: true` and the foreground `runc run`, itself on a terminal
// from script(1), relays between that and the container's terminal. Attachers write to the FIFO
// and follow the log file from its end (inotify, with a slow poll as fallback), so any number of
// them see the same output.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, watch, type FSWatcher, type WriteStream } from 'node:fs';
import { open, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AttachSession } from '../node-agent/runtime.js';

const POLL_MS = 250;

export const stdinFifo = (bundle: string) => join(bundle, 'stdin');

export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The supervisor script: the overlay mount, then `runc run` in the foreground, stdio from
 * the FIFO or /dev/null, output appended to the log; runc's exit status lands in `<bundle>/exit`.
 */
export function supervisorScript(p: { runc: string; runcRoot: string; bundle: string; id: string; logPath: string; stdin: boolean; tty: boolean; lowerDir?: string }): string {
  const runc = [p.runc, '--root', p.runcRoot, '--log', join(p.bundle, 'runc.log'), 'run', '--bundle', p.bundle, '--pid-file', join(p.bundle, 'pid'), p.id].map(shellQuote).join(' ');
  // runc relays a terminal only from a terminal of its own: script(1) gives it one (set raw by runc).
  const command = p.tty ? `script -qfec ${shellQuote(runc)} /dev/null` : runc;
  const input = p.stdin || p.tty ? `<>${shellQuote(stdinFifo(p.bundle))}` : '</dev/null';
  const exit = shellQuote(join(p.bundle, 'exit'));
  // The overlay rootfs is mounted here rather than in createContainer: one program start fewer
  // per container on the start path. A failed mount leaves its message where runc's would be.
  const mount = p.lowerDir
    ? `mount -t overlay overlay -o ${shellQuote(`lowerdir=${p.lowerDir},upperdir=${join(p.bundle, 'upper')},workdir=${join(p.bundle, 'work')}`)} ${shellQuote(join(p.bundle, 'rootfs'))} 2>>${shellQuote(join(p.bundle, 'runc.log'))} && `
    : '';
  return `${mount}${command} ${input} >>${shellQuote(p.logPath)} 2>&1; echo $? >${exit}.tmp; mv ${exit}.tmp ${exit}`;
}

export function attachSession(bundle: string, logPath: string, pid: number | undefined, running: () => boolean): Promise<AttachSession> {
  return Promise.resolve(new RuncAttach(bundle, logPath, pid, running));
}

class RuncAttach implements AttachSession {
  private readonly listeners: Array<(d: Uint8Array) => void> = [];
  private stdin?: WriteStream;
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private offset = -1;
  private reading = false;
  private again = false;
  private done = false;
  private resolveExited!: () => void;
  readonly exited: Promise<void>;

  constructor(private readonly bundle: string, private readonly logPath: string, private readonly pid: number | undefined, private readonly running: () => boolean) {
    this.exited = new Promise((resolve) => { this.resolveExited = resolve; });
    void stat(logPath).then((s) => s.size, () => 0).then((size) => {
      this.offset = size;
      try {
        this.watcher = watch(logPath, () => this.pump());
        this.watcher.on('error', () => undefined);
      } catch {
        // No inotify for this file: the poll below still delivers.
      }
      this.timer = setInterval(() => this.pump(), POLL_MS);
      this.pump();
    });
  }

  writeStdin(data: Uint8Array): void {
    if (this.done || !existsSync(stdinFifo(this.bundle))) return;
    this.stdin ??= createWriteStream(stdinFifo(this.bundle), { flags: 'a' }).on('error', () => undefined);
    this.stdin.write(data);
  }

  onOutput(listener: (data: Uint8Array) => void): void {
    this.listeners.push(listener);
  }

  resize(cols: number, rows: number): void {
    if (!this.pid) return;
    // Sizing the host-side terminal of `runc run` (the container process's parent) sends runc a
    // SIGWINCH, and runc passes the size on to the container's terminal.
    void readFile(`/proc/${this.pid}/stat`, 'utf8').then(async (stat) => {
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const tty = await readlink(`/proc/${parent}/fd/0`);
      if (!tty.startsWith('/dev/pts/')) return;
      spawn('stty', ['-F', tty, 'cols', String(cols), 'rows', String(rows)], { stdio: 'ignore' }).on('error', () => undefined);
    }).catch(() => undefined);
  }

  detach(): void {
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    this.stdin?.end();
    this.resolveExited();
  }

  /** Sends what the log gained; once the container has exited, a last read and the end. */
  private pump(): void {
    if (this.done || this.offset < 0) return;
    if (this.reading) { this.again = true; return; }
    this.reading = true;
    const wasRunning = this.running();
    void this.readGrowth().finally(() => {
      this.reading = false;
      if (!wasRunning) this.finish();
      else if (this.again) { this.again = false; this.pump(); }
    });
  }

  private async readGrowth(): Promise<void> {
    const size = await stat(this.logPath).then((s) => s.size, () => this.offset);
    if (size < this.offset) this.offset = 0; // rotated (copy-and-truncate): start again
    if (size <= this.offset) return;
    const file = await open(this.logPath, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await file.read(buf, 0, buf.length, this.offset);
      this.offset += bytesRead;
      if (bytesRead > 0 && !this.done) for (const l of this.listeners) l(buf.subarray(0, bytesRead));
    } finally {
      await file.close();
    }
  }
}
