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
import { liveOutputFile, stdinFifo, supervisorScript } from './supervisor.js';

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
