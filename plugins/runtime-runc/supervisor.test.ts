// The supervisor script and attach session without runc: a stand-in `runc` prints to stdout and
// stderr, copies its stdin and exits 7. Checks the exit file, the log (both streams), the
// per-stream files attachers follow, and stdin: kept open across attachers, or closed after the
// first one with stdinOnce.
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { attachSession } from './attach.js';
import { BUSYBOX } from './sandbox.js';
import { liveOutputFile, stdinFifo, supervisorCommand, supervisorScript } from './supervisor.js';

const FAKE_RUNC = `#!${BUSYBOX} sh
# Writes the pid file like runc, then behaves like a small container process.
while [ $# -gt 0 ]; do [ "$1" = --pid-file ] && echo $$ >"$2"; shift; done
echo out-line
echo err-line >&2
cat
exit 7
`;

const waitFor = async (check: () => boolean, ms = 10_000) => {
  for (const end = Date.now() + ms; Date.now() < end && !check();) await new Promise((r) => setTimeout(r, 20));
  return check();
};

t.test('supervisor script', { skip: existsSync(BUSYBOX) ? false : `no ${BUSYBOX}` }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-supervisor-'));
  const started: number[] = [];
  t.teardown(() => {
    for (const pid of started) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });
  const runc = join(dir, 'runc');
  writeFileSync(runc, FAKE_RUNC);
  chmodSync(runc, 0o755);
  const supervise = (name: string, opts: { stdin?: boolean; stdinOnce?: boolean }) => {
    const bundle = join(dir, name);
    execFileSync(BUSYBOX, ['mkdir', '-p', bundle]);
    if (opts.stdin) execFileSync(BUSYBOX, ['mkfifo', stdinFifo(bundle)]);
    const logPath = join(bundle, 'log');
    const script = supervisorScript({ runc, runcRoot: join(dir, 'state'), bundle, id: name, logPath, stdin: !!opts.stdin, stdinOnce: opts.stdinOnce, tty: false });
    const child = spawn(BUSYBOX, ['sh', '-c', script], { detached: true, stdio: 'ignore' });
    started.push(child.pid!);
    child.unref();
    const exited = () => existsSync(join(bundle, 'exit'));
    return { bundle, logPath, exited, session: () => attachSession({ bundle, logPath, tty: false, splitOutput: true, stdinOnce: !!opts.stdinOnce, running: () => !exited() }) };
  };

  await t.test('exit status, the log and the per-stream files', async (t) => {
    const c = supervise('plain', {});
    t.ok(await waitFor(c.exited), 'the exit file appears');
    t.equal(readFileSync(join(c.bundle, 'exit'), 'utf8').trim(), '7', 'with the process\'s status');
    const log = readFileSync(c.logPath, 'utf8');
    t.match(log, /out-line/);
    t.match(log, /err-line/, 'the log has both streams');
    t.equal(readFileSync(liveOutputFile(c.bundle, 'stdout'), 'utf8'), 'out-line\n');
    t.equal(readFileSync(liveOutputFile(c.bundle, 'stderr'), 'utf8'), 'err-line\n');
  });

  await t.test('stdinOnce: the first attacher closing its stdin ends the process\'s', async (t) => {
    const c = supervise('once', { stdin: true, stdinOnce: true });
    t.ok(await waitFor(() => existsSync(join(c.bundle, 'pid'))), 'started');
    const session = await c.session();
    const seen: Record<string, string> = { stdout: '', stderr: '' };
    session.onOutput((d, stream) => { seen[stream] += Buffer.from(d).toString(); });
    session.writeStdin(Buffer.from('typed-line\n'));
    t.ok(await waitFor(() => seen.stdout.includes('typed-line')), 'stdin reaches the process, its output the attacher');
    t.notOk(c.exited(), 'still running while attached');
    session.closeStdin!();
    t.ok(await waitFor(c.exited), 'end-of-file reached the process');
    await session.exited;
    t.equal(readFileSync(join(c.bundle, 'exit'), 'utf8').trim(), '7');
  });

  await t.test('stdinOnce: a later attacher does not reopen a closed stdin', async (t) => {
    const c = supervise('reopen', { stdin: true, stdinOnce: true });
    t.ok(await waitFor(() => existsSync(join(c.bundle, 'pid'))), 'started');
    const first = await c.session();
    first.closeStdin!();
    first.detach();
    const second = await c.session();
    second.writeStdin(Buffer.from('too-late\n'));
    t.ok(await waitFor(c.exited), 'the process ended at end-of-file');
    t.notMatch(readFileSync(c.logPath, 'utf8'), /too-late/, 'nothing written after the close reached it');
  });

  await t.test('stdin without stdinOnce stays open when an attacher leaves', async (t) => {
    const c = supervise('open', { stdin: true });
    t.ok(await waitFor(() => existsSync(join(c.bundle, 'pid'))), 'started');
    const first = await c.session();
    first.writeStdin(Buffer.from('one\n'));
    first.closeStdin!();
    first.detach();
    await new Promise((r) => setTimeout(r, 500));
    t.notOk(c.exited(), 'the process did not see end-of-file');
    const second = await c.session();
    const seen: string[] = [];
    second.onOutput((d) => seen.push(Buffer.from(d).toString()));
    second.writeStdin(Buffer.from('two\n'));
    t.ok(await waitFor(() => seen.join('').includes('two')), 'a later attacher still reaches stdin');
    second.detach();
    t.match(readFileSync(c.logPath, 'utf8'), /one\ntwo\n/);
  });
});

// A stand-in runc that reports which mounts it sees: the supervisor's own mount namespace must
// have the rootfs overlay and must not have the hidden mount; the host must see neither change.
const MOUNT_REPORTING_RUNC = `#!${BUSYBOX} sh
while [ $# -gt 0 ]; do [ "$1" = --pid-file ] && echo $$ >"$2"; [ "$1" = --bundle ] && bundle="$2"; shift; done
grep -q " $bundle/rootfs " /proc/self/mountinfo && echo rootfs-mounted
grep -q " $HIDDEN " /proc/self/mountinfo && echo hidden-visible
grep -q " $bundle/rootfs " /proc/$HOSTPID/mountinfo && echo rootfs-on-host
cat "$bundle/rootfs/from-image"
exit 0
`;

const mountedOnHost = (path: string) => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${path} `);

t.test('supervisor in a mount namespace of its own', { skip: process.getuid?.() !== 0 ? 'needs root (mount namespaces)' : !existsSync(BUSYBOX) && `no ${BUSYBOX}` }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-supervisor-ns-'));
  const hidden = join(dir, 'hidden');
  execFileSync(BUSYBOX, ['mkdir', '-p', hidden, join(dir, 'image')]);
  writeFileSync(join(dir, 'image', 'from-image'), 'image-content\n');
  execFileSync('mount', ['-t', 'tmpfs', 'kite-test-hidden', hidden]);
  t.teardown(() => {
    // Anything mounted under the test directory (the hidden tmpfs; a rootfs if the namespace leaked).
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const at = line.split(' ')[4];
      if (at?.startsWith(dir)) try { execFileSync('umount', ['-l', at]); } catch { /* gone */ }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const runc = join(dir, 'runc');
  writeFileSync(runc, MOUNT_REPORTING_RUNC.replace('$HIDDEN', hidden).replace('$HOSTPID', String(process.pid)));
  chmodSync(runc, 0o755);
  const run = async (name: string, hide: string) => {
    const bundle = join(dir, name);
    execFileSync(BUSYBOX, ['mkdir', '-p', join(bundle, 'rootfs'), join(bundle, 'upper'), join(bundle, 'work')]);
    const logPath = join(bundle, 'log');
    const script = supervisorScript({ runc, runcRoot: join(dir, 'state'), bundle, id: name, logPath, stdin: false, tty: false, lowerDir: join(dir, 'image'), ownMountNamespace: { hide } });
    const [file, args] = supervisorCommand(BUSYBOX, script);
    const child = spawn(file, args, { detached: true, stdio: 'ignore' });
    child.unref();
    t.ok(await waitFor(() => existsSync(join(bundle, 'exit'))), `${name}: the exit file appears`);
    return { bundle, log: existsSync(logPath) ? readFileSync(logPath, 'utf8') : '', exit: readFileSync(join(bundle, 'exit'), 'utf8').trim() };
  };

  const ok = await run('ok', hidden);
  t.equal(ok.exit, '0');
  t.match(ok.log, /rootfs-mounted/, 'runc sees the rootfs mounted');
  t.match(ok.log, /image-content/, 'with the image content');
  t.notMatch(ok.log, /hidden-visible/, 'runc does not see the hidden mount');
  t.ok(mountedOnHost(hidden), 'the host keeps the hidden mount');
  t.notMatch(ok.log, /rootfs-on-host/, 'the host mount table has no rootfs mount while it runs');

  const bad = await run('bad-hide', join(dir, 'not-a-mount'));
  t.equal(bad.exit, '255', 'a mount that cannot be hidden is a start failure');
  t.notOk(existsSync(join(bad.bundle, 'pid')), 'runc did not run');
  t.match(readFileSync(join(bad.bundle, 'runc.log'), 'utf8'), /umount|not mounted|Invalid argument/i, 'with the reason in runc.log');
});

