// kubectl attach for runc containers (the supervisor in supervisor.ts sets up the FIFO and the
// output files). Attachers write to the stdin FIFO and follow output files from their end
// (inotify, with a slow poll as fallback), so any number of them see the same output: a `tty`
// container's log (one terminal stream), otherwise `stdout.live` and `stderr.live` apart.
// Resizes go to the terminal of `runc run` (see resize below).
import { spawn } from 'node:child_process';
import { constants, existsSync, openSync, readFileSync, readlinkSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { open, readFile, readlink, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { Socket } from 'node:net';
import type { AttachSession } from '../node-agent/runtime.js';
import { liveOutputFile, stdinFifo, stdinHolderFile } from './supervisor.js';

export { shellQuote, stdinFifo, supervisorScript } from './supervisor.js';

const POLL_MS = 250;
/** `*.live` files beyond this are emptied; attachers only read what is new. */
const LIVE_OUTPUT_MAX_BYTES = 1024 * 1024;

type Stream = 'stdout' | 'stderr';

export interface AttachTarget {
  bundle: string;
  logPath: string;
  /** Host pid of the container's process (for terminal resizes). */
  pid?: number;
  tty: boolean;
  /** stdout and stderr are in `stdout.live` / `stderr.live` (containers started before that have only the log). */
  splitOutput: boolean;
  stdinOnce: boolean;
  running: () => boolean;
}

export function attachSession(target: AttachTarget): Promise<AttachSession> {
  return Promise.resolve(new RuncAttach(target));
}

/** Empties a container's `*.live` output files once they are large (called periodically). */
export async function trimLiveOutput(bundle: string): Promise<void> {
  for (const stream of ['stdout', 'stderr'] as const) {
    const file = liveOutputFile(bundle, stream);
    const size = await stat(file).then((s) => s.size, () => 0);
    if (size > LIVE_OUTPUT_MAX_BYTES) await truncate(file, 0).catch(() => undefined);
  }
}

/** Written when a stdinOnce container's stdin is closed: later attachers must not reach it. */
const stdinClosedFile = (bundle: string) => join(bundle, 'stdin-closed');

/** The pid of the process holding a stdinOnce container's stdin open, while it still does. */
function stdinHolder(bundle: string): number | undefined {
  try {
    const pid = Number(readFileSync(stdinHolderFile(bundle), 'utf8'));
    // Gone, or the pid was reused, when its stdin is not the FIFO any more.
    return pid > 0 && readlinkSync(`/proc/${pid}/fd/0`) === stdinFifo(bundle) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Ends the holder: once the attacher's own write end closes, the process reads end-of-file. */
function endStdinHolder(bundle: string): void {
  try { writeFileSync(stdinClosedFile(bundle), ''); } catch { /* the bundle is gone */ }
  const pid = stdinHolder(bundle);
  if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* exited meanwhile */ }
}

/** One followed file: bytes appended to it go to the listeners under `stream`. */
class Follower {
  private offset = -1;
  private reading?: Promise<void>;
  private again = false;
  private closed = false;
  private watcher?: FSWatcher;

  constructor(private readonly path: string, private readonly stream: Stream, private readonly deliver: (d: Uint8Array, s: Stream) => void) {}

  async start(): Promise<void> {
    this.offset = await stat(this.path).then((s) => s.size, () => 0);
    if (this.closed) return; // the attacher left before the follower was set up
    try {
      this.watcher = watch(this.path, () => void this.pump());
      this.watcher.on('error', () => undefined);
    } catch {
      // No inotify for this file: the session's poll still delivers.
    }
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
  }

  /** Sends what the file gained since the last read; resolves once a read started after this call is done. */
  pump(): Promise<void> {
    if (this.offset < 0) return Promise.resolve();
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.again = false;
          await this.readGrowth().catch(() => undefined);
        } while (this.again);
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  private async readGrowth(): Promise<void> {
    const size = await stat(this.path).then((s) => s.size, () => this.offset);
    if (size < this.offset) this.offset = 0; // rotated or trimmed: start again
    if (size <= this.offset) return;
    const file = await open(this.path, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await file.read(buf, 0, buf.length, this.offset);
      this.offset += bytesRead;
      if (bytesRead > 0) this.deliver(buf.subarray(0, bytesRead), this.stream);
    } finally {
      await file.close();
    }
  }
}

class RuncAttach implements AttachSession {
  private readonly listeners: Array<(d: Uint8Array, s: Stream) => void> = [];
  private readonly followers: Follower[];
  private stdin?: Socket;
  private stdinClosed = false;
  private timer?: NodeJS.Timeout;
  private pumping = false;
  private done = false;
  private resolveExited!: () => void;
  readonly exited: Promise<void>;

  constructor(private readonly target: AttachTarget) {
    this.exited = new Promise((resolve) => { this.resolveExited = resolve; });
    // A stdinOnce container whose first attacher has left keeps its stdin closed until it restarts.
    this.stdinClosed = target.stdinOnce && (existsSync(stdinClosedFile(target.bundle)) || !stdinHolder(target.bundle));
    const deliver = (d: Uint8Array, s: Stream) => { if (!this.done) for (const l of this.listeners) l(d, s); };
    const { bundle } = target;
    this.followers = !target.tty && target.splitOutput
      ? [new Follower(liveOutputFile(bundle, 'stdout'), 'stdout', deliver), new Follower(liveOutputFile(bundle, 'stderr'), 'stderr', deliver)]
      : [new Follower(target.logPath, 'stdout', deliver)];
    void Promise.all(this.followers.map((f) => f.start())).then(() => {
      // Input held until now reaches the process: its answer is after the followers' offsets.
      const held = this.held;
      this.held = undefined;
      for (const d of held?.data ?? []) this.writeNow(d);
      if (held?.close) this.closeNow();
      if (this.done) return;
      this.timer = setInterval(() => this.pump(), POLL_MS);
      this.pump();
    });
  }

  /**
   * Stdin that arrives before the followers know where the output ends: written then, or the
   * process could answer (`cat`) before the followers start and the answer would be skipped.
   */
  private held?: { data: Uint8Array[]; close: boolean } = { data: [], close: false };

  writeStdin(data: Uint8Array): void {
    if (this.done || this.stdinClosed || this.held?.close) return;
    if (this.held) this.held.data.push(data);
    else this.writeNow(data);
  }

  private writeNow(data: Uint8Array): void {
    if (this.done || this.stdinClosed) return;
    this.stdin ??= openFifoForWriting(stdinFifo(this.target.bundle));
    this.stdin?.write(data);
  }

  closeStdin(): void {
    if (this.held) this.held.close = true;
    else this.closeNow();
  }

  private closeNow(): void {
    if (this.stdinClosed) return;
    this.stdinClosed = true;
    this.stdin?.end();
    if (this.target.stdinOnce) endStdinHolder(this.target.bundle);
  }

  onOutput(listener: (data: Uint8Array, stream: Stream) => void): void {
    this.listeners.push(listener);
  }

  resize(cols: number, rows: number): void {
    if (!this.target.pid) return;
    // Sizing the host-side terminal of `runc run` (the container process's parent) sends runc a
    // SIGWINCH, and runc passes the size on to the container's terminal.
    void readFile(`/proc/${this.target.pid}/stat`, 'utf8').then(async (stat) => {
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      await setTerminalSize(parent, cols, rows);
    }).catch(() => undefined);
  }

  detach(): void {
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    // Input still held for the followers goes to the process now, and a requested close happens
    // (a stdinOnce attacher that leaves at once still closes the container's stdin).
    const held = this.held;
    this.held = undefined;
    for (const d of held?.data ?? []) this.writeNow(d);
    if (held?.close) this.closeNow();
    this.done = true;
    for (const f of this.followers) f.close();
    if (this.timer) clearInterval(this.timer);
    this.stdin?.end();
    this.resolveExited();
  }

  /** Sends what the files gained; once the container has exited, a last read and the end. */
  private pump(): void {
    if (this.done || this.pumping) return;
    this.pumping = true;
    const wasRunning = this.target.running();
    void Promise.all(this.followers.map((f) => f.pump())).finally(() => {
      this.pumping = false;
      if (!wasRunning) this.finish();
    });
  }
}

/**
 * Opens a FIFO's write end without blocking: a plain open waits (in one of libuv's four pool
 * threads, for good) until someone reads, and an exited container never will. Undefined when
 * nobody reads it (ENXIO) or it is gone. Written through a libuv pipe, which waits for room itself.
 */
function openFifoForWriting(path: string): Socket | undefined {
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    return new Socket({ fd, readable: false, writable: true }).on('error', () => undefined);
  } catch {
    return undefined;
  }
}

/** Sets the size of the terminal on `pid`'s stdin (if it is a pseudo-terminal): its process group gets SIGWINCH. */
export async function setTerminalSize(pid: number, cols: number, rows: number): Promise<void> {
  const tty = await readlink(`/proc/${pid}/fd/0`).catch(() => '');
  if (!tty.startsWith('/dev/pts/')) return;
  spawn('stty', ['-F', tty, 'cols', String(cols), 'rows', String(rows)], { stdio: 'ignore' }).on('error', () => undefined);
}
