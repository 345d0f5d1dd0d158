// The supervisor of one container: a detached busybox shell that mounts the overlay rootfs, runs
// `runc run` in the foreground and writes runc's exit status to `<bundle>/exit` (128+n for signal
// n), so the status is recorded even while no agent runs. busybox sh runs mount, tee, sleep, mv and
// umount as applets, without new execs.
//
// Output: with a terminal (`tty`), script(1) gives `runc run` a terminal of its own (runc relays a
// container terminal only from one) and everything lands in the log. Without one, stdout and
// stderr each pass through a `tee` that appends to the log (so `kubectl logs` shows both,
// interleaved as they come) and to a per-stream file in the bundle (`stdout.live`,
// `stderr.live`) that attachers follow, so `kubectl attach` gets stderr on its own channel.
// The runtime trims those two files (attachers only need what is new).
//
// Input: a FIFO `<bundle>/stdin` for `stdin`/`tty` containers. Normally the process gets it
// read-write, so it never sees end-of-file between attachers. With `stdinOnce` it gets it
// read-only and a holder process (`sleep`, pid in `<bundle>/stdin-holder`) keeps a write end open
// until the first attacher leaves: the runtime then ends the holder, and when that attacher's
// own write end closes the process reads end-of-file, as upstream's runtimes close stdin.
import { join } from 'node:path';

export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export const stdinFifo = (bundle: string) => join(bundle, 'stdin');
export const stdinHolderFile = (bundle: string) => join(bundle, 'stdin-holder');
export const liveOutputFile = (bundle: string, stream: 'stdout' | 'stderr') => join(bundle, `${stream}.live`);

export interface SupervisorParams {
  /** The OCI runtime: its binary, or the program and leading arguments that run it (oci-runtime.ts). */
  runc: string | string[];
  runcRoot: string;
  bundle: string;
  id: string;
  logPath: string;
  stdin: boolean;
  stdinOnce?: boolean;
  tty: boolean;
  /** The image rootfs; the overlay is mounted here rather than by the agent (one program start fewer). */
  lowerDir?: string;
  /**
   * The script runs in a mount namespace of its own (`supervisorCommand`): the rootfs mount goes
   * with it, and `hide` (e.g. a cgroup v2 mount crun must not see) is unmounted there first.
   */
  ownMountNamespace?: { hide?: string };
}

/**
 * The program and arguments that run the supervisor script in a private mount namespace. The
 * container's rootfs is then mounted only there (and in the container's copy): the host's mount
 * table does not grow by one mount per container, which every new container's mount namespace
 * copies and tears down again, and the kernel unmounts it when the supervisor ends.
 */
export function supervisorCommand(busybox: string, script: string): [string, string[]] {
  return [busybox, ['unshare', '-m', '--propagation', 'private', busybox, 'sh', '-c', script]];
}

export function supervisorScript(p: SupervisorParams): string {
  const q = shellQuote;
  const file = (name: string) => q(join(p.bundle, name));
  const runc = [...(typeof p.runc === 'string' ? [p.runc] : p.runc), '--root', p.runcRoot, '--log', join(p.bundle, 'runc.log'), 'run', '--bundle', p.bundle, '--pid-file', join(p.bundle, 'pid'), p.id].map(q).join(' ');
  const log = q(p.logPath);
  const exitTmp = file('exit.tmp');
  const fifo = q(stdinFifo(p.bundle));
  const withStdin = p.stdin || p.tty;
  const once = withStdin && !!p.stdinOnce;
  const holder = once ? `sleep infinity <>${fifo} >/dev/null 2>&1 & holder=$!; echo $holder >${q(stdinHolderFile(p.bundle))}; ` : '';
  const input = !withStdin ? '</dev/null' : once ? `<${fifo}` : `<>${fifo}`;
  const body = p.tty
    ? `script -qfec ${q(runc)} /dev/null ${input} >>${log} 2>&1; echo $? >${exitTmp}`
    : `{ { ${runc} ${input} 2>&1 1>&3 3>&-; echo $? >${exitTmp}; } | tee -a ${q(liveOutputFile(p.bundle, 'stderr'))} >>${log} 3>&-; } 3>&1 | tee -a ${q(liveOutputFile(p.bundle, 'stdout'))} >>${log}`;
  const own = p.ownMountNamespace;
  // What must succeed before runc runs; a failure is a start error with the message in runc.log.
  const before = [
    ...(own?.hide ? [`umount ${q(own.hide)}`] : []),
    ...(p.lowerDir ? [`mount -t overlay overlay -o ${q(`lowerdir=${p.lowerDir},upperdir=${join(p.bundle, 'upper')},workdir=${join(p.bundle, 'work')}`)} ${file('rootfs')}`] : []),
  ].map((c) => `${c} 2>>${file('runc.log')}`);
  const run = before.length > 0 ? `if ${before.join(' && ')}; then ${body}; else echo 255 >${exitTmp}; fi` : body;
  // The rootfs is unmounted as soon as runc is done, and the exit file comes last: an exited
  // container needs no `umount` from the runtime, and its log is complete when `exit` appears.
  const unmount = p.lowerDir && !own ? `umount -l ${file('rootfs')} 2>/dev/null; ` : '';
  const endHolder = once ? `kill $holder 2>/dev/null; ` : '';
  return `${holder}${run}; ${endHolder}${unmount}mv ${exitTmp} ${file('exit')}`;
}
