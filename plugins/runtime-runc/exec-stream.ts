// `kubectl exec` into a runc container: `runc exec` with pipes, or with a terminal for `-t`.
// `runc exec -t` relays a terminal only from a terminal of its own: script(1) gives it one, set
// raw first; a marker byte tells when that is done, so early stdin is not echoed by the host side.
// The container's terminal gets kubectl's size when runc creates it (the process spec's
// consoleSize): runc's own resize after the start raced with commands asking at once (`stty size`
// saw 0x0). Later sizes go to the terminal script(1) gave `runc exec` (runc gets SIGWINCH and
// resizes the container's terminal), and a terminal session has `TERM=xterm`, as upstream's.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { ExecProcess } from '../node-agent/runtime.js';
import { setTerminalSize } from './attach.js';
import { shellQuote } from './supervisor.js';

let counter = 0;

export interface ExecTarget {
  /** The OCI runtime: its binary, or the program and leading arguments that run it (oci-runtime.ts). */
  runc: string | string[];
  runcRoot: string;
  bundle: string;
  id: string;
}

/** The container's process spec with this command, a terminal and its size; undefined if unreadable. */
function ttyProcessFile(bundle: string, command: string[], tty: { cols: number; rows: number }): string | undefined {
  try {
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: object };
    const file = join(bundle, `exec-${process.pid}-${++counter}.json`);
    const env = [...((spec.process as { env?: string[] }).env ?? []).filter((e) => !e.startsWith('TERM=')), 'TERM=xterm'];
    writeFileSync(file, JSON.stringify({ ...spec.process, args: command, env, terminal: true, consoleSize: { height: tty.rows, width: tty.cols } }));
    return file;
  } catch {
    return undefined;
  }
}

export function execInContainer(target: ExecTarget, command: string[], tty?: { cols: number; rows: number }): ExecProcess {
  const processFile = tty ? ttyProcessFile(target.bundle, command, tty) : undefined;
  const [runc, ...lead] = typeof target.runc === 'string' ? [target.runc] : target.runc;
  const runcArgs = processFile
    ? ['--root', target.runcRoot, 'exec', '--process', processFile, target.id]
    : ['--root', target.runcRoot, 'exec', ...(tty ? ['-t', '--env', 'TERM=xterm'] : []), target.id, ...command];
  const child = tty
    ? spawn('script', ['-qfec', `stty raw -echo cols ${tty.cols} rows ${tty.rows} && printf '\\036' && exec ${[runc!, ...lead, ...runcArgs].map(shellQuote).join(' ')}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(runc!, [...lead, ...runcArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
  if (processFile) child.once('close', () => rmSync(processFile, { force: true }));
  const exited = new Promise<number>((resolve) => {
    child.once('error', () => resolve(126));
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 9) : 1)));
  });
  child.stdin.on('error', () => undefined);
  let ready = !tty;
  const pending: Uint8Array[] = [];
  let closeRequested = false;
  const stdoutListeners: Array<(d: Uint8Array) => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    if (!ready) {
      const marker = d.indexOf(0x1e);
      if (marker < 0) return;
      ready = true;
      d = d.subarray(marker + 1);
      for (const p of pending.splice(0)) child.stdin.write(p);
      if (closeRequested) child.stdin.end();
      if (d.length === 0) return;
    }
    for (const l of stdoutListeners) l(d);
  });
  return {
    writeStdin: (data) => { if (ready) child.stdin.write(data); else pending.push(data); },
    closeStdin: () => { if (ready) child.stdin.end(); else closeRequested = true; },
    onStdout: (l) => { stdoutListeners.push(l); },
    onStderr: (l) => { child.stderr.on('data', (d: Buffer) => l(d)); },
    exited,
    kill: () => { child.kill('SIGKILL'); },
    resize: (cols, rows) => {
      if (!tty || !child.pid) return;
      // script(1)'s child is the shell that became `runc exec`, on script's terminal.
      void readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').then((children) => {
        const runc = Number(children.trim().split(' ')[0]);
        if (runc > 0) return setTerminalSize(runc, cols, rows);
      }).catch(() => undefined);
    },
  };
}
