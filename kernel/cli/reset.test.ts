// `kite reset` against what a killed `kite up` really leaves: a real Kite runs busybox pods with
// the real kubectl, its process group is killed with SIGKILL (the detached sandbox holders and
// container supervisors survive, as they do after a crash), then `kite reset` must remove every
// process, mount, cgroup, interface and namespace of that data directory and empty it.
import t from 'tap';

interface Tap { teardown(fn: () => unknown): void; equal(found: unknown, wanted: unknown, message: string): unknown }
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { compiledRoot, findRepoRoot } from '../paths.js';
import { KUBECTL } from '../testing/kite.js';
import { listProcesses, mountPointsUnder, processInfo, refersTo } from '../process/leftovers.js';
import { hostNetworkPrefix } from '../multinode/hostnet.js';
import { builtinPlugins } from '../plugin/config.js';

const CLI = join(compiledRoot(), 'kernel', 'cli', 'kite.js');

interface Run { code: number; stdout: string; stderr: string }

function runCli(args: string[], opts: { timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

function run(file: string, args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function alive(pid: number): boolean {
  return processInfo(pid) !== undefined;
}

/** Processes whose command line names the data directory (besides this test). */
function processesOn(dataDir: string): string[] {
  const cwd = (pid: number) => { try { return readlinkSync(`/proc/${pid}/cwd`); } catch { return ''; } };
  return listProcesses()
    .filter((p) => p.pid !== process.pid && (p.argv.some((a) => refersTo(a, dataDir)) || refersTo(cwd(p.pid), dataDir)))
    .map((p) => `${p.pid} ${p.argv.join(' ').slice(0, 100)}`);
}

interface Kite {
  dataDir: string;
  child: ChildProcess;
  kubectl(args: string[]): Promise<Run>;
  /** SIGKILL to the whole process group: kite up, nats-server, node agents, launcher. */
  crash(): Promise<void>;
}

/** `kite up` in a process group of its own (so the test can kill the group as a crash would). */
async function startKite(t: Tap, extra: string[] = [], config?: object): Promise<Kite> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kite-r5-reset-'));
  // JSON is YAML: the configuration `kite up` reads from <data-dir>/kite.yaml.
  if (config) writeFileSync(join(dataDir, 'kite.yaml'), JSON.stringify(config));
  const cacheDir = mkdtempSync(join(tmpdir(), 'kite-r5-kubectl-'));
  const child = spawn(process.execPath, [CLI, 'up', '--data-dir', dataDir, '--port', '0', ...extra], {
    cwd: findRepoRoot(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KITE_LOG_LEVEL: 'warn' },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const crash = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    await exited;
  };
  t.teardown(async () => {
    // Whatever the test reached: no Kite, then the tool under test, then a plain sweep.
    await crash();
    await runCli(['reset', '-f', '--data-dir', dataDir]);
    for (const m of mountPointsUnder(dataDir)) await run('umount', ['-l', m]);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });
  await waitFor(`kite up in ${dataDir}:\n${out}`, () => {
    if (child.exitCode !== null) throw new Error(`kite up exited with ${child.exitCode}:\n${out}`);
    return /Kite is up/.test(out);
  }, 120_000);
  const kubectl = (args: string[]) => new Promise<Run>((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', join(dataDir, 'kubeconfig'), '--cache-dir', cacheDir, ...args], { env: { ...process.env, HOME: cacheDir }, timeout: 150_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
  return { dataDir, child, kubectl, crash };
}

const POD = (name: string, hostPort?: number) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: {
    terminationGracePeriodSeconds: 1,
    volumes: [{ name: 'scratch', emptyDir: { medium: 'Memory' } }],
    containers: [{
      name: 'main', image: 'busybox', command: ['sleep', '3600'], volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
      ...(hostPort ? { ports: [{ containerPort: 8080, hostPort }] } : {}),
    }],
  },
});

async function runPod(t: Tap, kite: Kite, name: string, hostPort?: number): Promise<void> {
  const file = join(kite.dataDir, `..`, `${relative(tmpdir(), kite.dataDir)}-${name}.json`);
  writeFileSync(file, POD(name, hostPort));
  t.teardown(() => rmSync(file, { force: true }));
  const created = await kite.kubectl(['apply', '-f', file]);
  t.equal(created.code, 0, `pod ${name} created ${created.stderr}`);
  const ready = await kite.kubectl(['wait', '--for=condition=Ready', `pod/${name}`, '--timeout=150s']);
  t.equal(ready.code, 0, `pod ${name} Running and Ready ${ready.stderr}`);
}

/** Runs a shell command on a pseudo-terminal (script(1)) and types `input` into it. */
function answerOnTerminal(command: string, input: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let typed = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!typed && stdout.includes('[y/N]')) {
        typed = true;
        child.stdin.write(input);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr: '' }); });
  });
}

interface Sandbox { pid: number; startTime: string }

/** The runtime state directories: one per node, or the one a configuration names. */
function stateDirs(dataDir: string, configured?: string): string[] {
  return configured ? [configured] : readdirSync(join(dataDir, 'node')).map((n) => join(dataDir, 'node', n, 'runtime'));
}

function sandboxes(dirs: string[]): Sandbox[] {
  const out: Sandbox[] = [];
  for (const d of dirs) {
    const dir = join(d, 'sandboxes');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) out.push(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Sandbox);
  }
  return out;
}

function containerCgroups(dirs: string[]): string[] {
  const out: string[] = [];
  for (const d of dirs) {
    const dir = join(d, 'containers');
    if (!existsSync(dir)) continue;
    for (const id of readdirSync(dir)) out.push(join('/sys/fs/cgroup/memory/kite', id));
  }
  return out;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    out.push(join(dir, e.name));
    if (e.isDirectory() && e.name !== 'images') out.push(...filesUnder(join(dir, e.name)));
  }
  return out;
}

t.test('what identifies a live Kite and a path of its data directory', async (t) => {
  t.ok(refersTo('/tmp/kite-a/nats', '/tmp/kite-a'), 'a path inside');
  t.ok(refersTo("-o 'lowerdir=/tmp/kite-a/images/x'", '/tmp/kite-a'), 'a path inside a shell script');
  t.ok(refersTo('/tmp/kite-a', '/tmp/kite-a/'), 'the directory itself');
  t.notOk(refersTo('/tmp/kite-ab/nats', '/tmp/kite-a'), 'not a sibling sharing the prefix');
  t.notOk(refersTo('/var/tmp/kite-a/nats', '/tmp/kite-a'), 'not the same name under another parent');

  const dir = mkdtempSync(join(tmpdir(), 'kite-r5-running-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { runningKites, RUN_DIR } = await import('./running.js');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, RUN_DIR));
  const me = processInfo(process.pid)!;
  writeFileSync(join(dir, RUN_DIR, `${process.pid}.json`), JSON.stringify({ pid: process.pid, startTime: String(Number(me.startTime) + 1), command: 'up', startedAt: '' }));
  t.same(runningKites(dir), [], 'a record whose pid now runs with another start time is stale (a reused pid)');
  writeFileSync(join(dir, RUN_DIR, `${process.pid}.json`), JSON.stringify({ pid: process.pid, startTime: me.startTime, command: 'up', startedAt: '' }));
  t.equal(runningKites(dir)[0]?.pid, process.pid, 'the same pid and start time: running');
  const bad = await runCli(['reset', '-f', '-o', 'yaml', '--data-dir', join(dir, 'none')]);
  t.equal(bad.code, 1, '-o yaml is refused');
  const none = await runCli(['reset', '-f', '--data-dir', join(dir, 'none')]);
  t.equal(none.code, 0, 'a data directory that does not exist: exit 0');
  t.match(none.stdout, /nothing to remove/, 'and nothing to remove');
  t.notOk(existsSync(join(dir, 'none')), 'reset does not create it');

  const foreign = join(dir, 'foreign');
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'notes.txt'), 'mine');
  const refused = await runCli(['reset', '-f', '--data-dir', foreign]);
  t.equal(refused.code, 1, 'a directory without anything Kite makes is refused');
  t.match(refused.stderr, /does not look like a Kite data directory/, 'with a sentence saying why');
  t.ok(existsSync(join(foreign, 'notes.txt')), 'and keeps its files');
  const rootRefused = await runCli(['reset', '-f', '--data-dir', '/']);
  t.equal(rootRefused.code, 1, '/ is never reset');

  const stale = join(dir, 'stale');
  mkdirSync(join(stale, 'pki'), { recursive: true });
  writeFileSync(join(stale, 'pki', 'ca.crt'), 'x');
  writeFileSync(join(stale, 'kite.json'), JSON.stringify({ pid: 999999999, startedAt: new Date().toISOString() }));
  writeFileSync(join(stale, 'notes.txt'), 'mine');
  const cleaned = await runCli(['reset', '-f', '--data-dir', stale]);
  t.equal(cleaned.code, 0, `a stale data directory is reset ${cleaned.stderr}`);
  t.same(readdirSync(stale), ['notes.txt'], 'Kite\'s entries are removed, a file Kite did not make is kept');
  t.match(cleaned.stdout, /kept: notes\.txt/, 'and the summary says so');
});

t.test('kite reset after a killed kite up: refuses while it runs, then removes everything', async (t) => {
  const kite = await startKite(t);
  const { dataDir } = kite;

  const refused = await runCli(['reset', '-f', '--data-dir', dataDir]);
  t.equal(refused.code, 1, 'refused while kite up runs');
  t.match(refused.stderr, new RegExp(`still running on ${dataDir}: pid ${kite.child.pid}`), 'the refusal names the pid and the data directory');

  const hostPort = 20_000 + Math.floor(Math.random() * 10_000);
  await runPod(t, kite, 'r5-one', hostPort);
  await runPod(t, kite, 'r5-two');
  const holders = sandboxes(stateDirs(dataDir));
  const cgroups = containerCgroups(stateDirs(dataDir));
  t.equal(holders.length, 2, 'two sandbox holders recorded');
  t.equal(cgroups.length, 2, 'two containers');
  const bridge = `kite${createHash('sha256').update(join(dataDir, 'node', readdirSync(join(dataDir, 'node'))[0]!)).digest('hex').slice(0, 8)}`;
  t.ok(existsSync(`/sys/class/net/${bridge}`), `the node's bridge ${bridge} exists`);
  const ports = readdirSync(`/sys/class/net/${bridge}/brif`);
  t.equal(ports.length, 2, 'one veth per pod on the bridge');

  // Decoys a reset must not touch: a sibling directory whose name extends the data directory's,
  // with a mount and a busybox process naming it.
  const decoy = `${dataDir}-decoy`;
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(decoy, 'mnt'), { recursive: true });
  const decoyProc = spawn('/bin/busybox', ['sh', '-c', 'exec sleep 3600', join(decoy, 'x')], { stdio: 'ignore' });
  t.teardown(async () => {
    decoyProc.kill('SIGKILL');
    await run('umount', ['-l', join(decoy, 'mnt')]);
    rmSync(decoy, { recursive: true, force: true });
  });
  t.equal((await run('mount', ['-t', 'tmpfs', 'r5-decoy', join(decoy, 'mnt')])).code, 0, 'decoy tmpfs mounted');

  await kite.crash();
  t.ok(holders.every((h) => processInfo(h.pid)?.startTime === h.startTime), 'the sandbox holders outlive the killed kite up');
  t.ok(mountPointsUnder(dataDir).length >= 2, 'the pods\' emptyDir tmpfs mounts are left');
  t.ok(processesOn(dataDir).length > 0, 'supervisors naming the data directory are left');
  t.ok(cgroups.every((c) => existsSync(c)), 'the containers\' cgroups are left');

  // The hostPort pod's CNI cache entry lost (a crash between ADD and the cache write): its
  // portmap rules can only be found by the sandbox id they name.
  const nodeDir = join(dataDir, 'node', readdirSync(join(dataDir, 'node'))[0]!);
  const natNaming = async (ids: string[]) => (await run('iptables-save', ['-t', 'nat'])).stdout.split('\n').filter((l) => ids.some((id) => l.includes(`id: \\"${id}\\"`)));
  const sandboxIds = readdirSync(join(nodeDir, 'runtime', 'sandboxes')).map((f) => f.replace(/\.json$/, ''));
  const withPort = [];
  for (const id of sandboxIds) if ((await natNaming([id])).length > 0) withPort.push(id);
  t.equal(withPort.length, 1, 'portmap made a rule naming the hostPort pod\'s sandbox');
  rmSync(join(nodeDir, 'cni', 'results', `${withPort[0]}-eth0.json`));

  const noTty = await runCli(['reset', '--data-dir', dataDir]);
  t.equal(noTty.code, 1, 'without -f and without a terminal: refused');
  t.match(noTty.stderr, /pass -f/, 'the refusal says to pass -f');
  t.ok(holders.every((h) => alive(h.pid)), 'nothing was removed by the refused reset');

  // On a terminal (script(1) gives it one) the plan is shown, and "n" removes nothing.
  const onTty = await answerOnTerminal(`${process.execPath} ${CLI} reset --data-dir ${dataDir}`, 'n\n');
  t.equal(onTty.code, 1, `on a terminal, answering "n" exits 1 ${onTty.stdout}`);
  t.match(onTty.stdout, /would remove[\s\S]*container[\s\S]*Remove all of this\? \[y\/N\][\s\S]*cancelled, nothing removed/, 'the plan and the question were shown, then the cancellation');
  t.ok(holders.every((h) => alive(h.pid)), 'nothing was removed after "n"');

  const reset = await runCli(['reset', '-f', '-o', 'json', '--data-dir', dataDir]);
  t.equal(reset.code, 0, `reset -f exits 0 ${reset.stderr}`);
  const summary = JSON.parse(reset.stdout) as { counts: Record<string, number>; problems: string[] };
  t.same(summary.problems, [], 'no problems');
  t.equal(summary.counts.container, 2, 'two containers removed');
  t.equal(summary.counts.sandbox, 2, 'two sandboxes removed');
  t.ok((summary.counts.mount ?? 0) >= 2, 'the tmpfs mounts were unmounted');
  t.ok((summary.counts.cgroup ?? 0) >= 2, 'cgroups removed');
  t.equal(summary.counts['cni-attachment'], 1, 'the cached CNI attachment deleted');
  t.equal(summary.counts.iptables, 2, 'the uncached pod\'s portmap rule and chain removed');
  t.same(await natNaming(sandboxIds), [], 'no nat rule names a sandbox of this data directory');

  await waitFor('no process on the data directory', () => processesOn(dataDir).length === 0 && holders.every((h) => processInfo(h.pid)?.startTime !== h.startTime), 30_000)
    .catch(() => undefined);
  t.same(processesOn(dataDir), [], 'no process whose command line names the data directory');
  t.ok(holders.every((h) => processInfo(h.pid)?.startTime !== h.startTime), 'the sandbox holders are gone');
  t.same(mountPointsUnder(dataDir), [], 'nothing mounted below the data directory');
  t.same(cgroups.filter((c) => existsSync(c)), [], 'the containers\' cgroups are gone');
  t.notOk(existsSync(`/sys/class/net/${bridge}`), 'the node\'s bridge is gone');
  t.same(ports.filter((p) => existsSync(`/sys/class/net/${p}`)), [], 'the pods\' veths are gone');
  t.same(readdirSync(dataDir), [], 'the data directory is empty');
  t.ok(processInfo(decoyProc.pid!) !== undefined, 'the decoy process naming a sibling directory still runs');
  t.same(mountPointsUnder(decoy), [join(decoy, 'mnt')], 'the decoy mount in the sibling directory is still there');

  const again = await runCli(['reset', '-f', '--data-dir', dataDir]);
  t.equal(again.code, 0, 'a second reset exits 0');
  t.match(again.stdout, /nothing to remove/, 'and says there was nothing to remove');
});

const CRUN = '/usr/bin/crun';

/** The built-in configuration with the runtime's state in `stateDir`, driving crun instead of runc when installed. */
function configuration(stateDir: string, crun: boolean): object {
  const runtimeOptions = { stateDir, ...(crun ? { runc: CRUN } : {}) };
  const plugins = builtinPlugins().map((p) => p.name === 'node-agent' ? { ...p, options: { ...(p.options as object), runtimeOptions } } : p);
  return { apiVersion: 'kite.dev/v1alpha1', kind: 'KernelConfiguration', plugins };
}

t.test('kite reset --keep-images after a killed kite up --nodes 1 with a configured state directory (crun when installed)', async (t) => {
  const crun = existsSync(CRUN);
  // The runtime's state outside the data directory, named by kite.yaml: reset must find it there.
  const stateDir = mkdtempSync(join(tmpdir(), 'kite-r5-state-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const kite = await startKite(t, ['--nodes', '1'], configuration(stateDir, crun));
  const { dataDir } = kite;
  await runPod(t, kite, 'r5-multi');
  const prefix = hostNetworkPrefix(dataDir);
  const netns = async () => (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(`${prefix}-`));
  t.equal((await netns()).length, 1, 'the node namespace exists');
  const holders = sandboxes([stateDir]);
  const cgroups = containerCgroups([stateDir]);
  t.equal(cgroups.length, 1, 'one container, in the configured state directory');
  await kite.crash();
  t.ok(holders.length === 1 && holders.every((h) => alive(h.pid)), 'the sandbox holder outlives the killed kite up');
  t.equal((await netns()).length, 1, 'the node namespace is left');
  t.ok(processesOn(stateDir).length > 0, 'the container\'s supervisor (naming the state directory) is left');

  // The OCI runtime's foreground `run` killed too: its state stays under --root, for `delete --force`.
  const runtime = crun ? 'crun' : 'runc';
  const runs = listProcesses().filter((p) => basename(p.argv[0] ?? '') === runtime && p.argv.includes('run') && p.argv.some((a) => refersTo(a, stateDir)));
  t.equal(runs.length, 1, `one foreground \`${runtime} run\``);
  for (const p of runs) process.kill(p.pid, 'SIGKILL');
  await waitFor(`${runtime} run to end`, () => runs.every((p) => processInfo(p.pid)?.startTime !== p.startTime), 30_000);
  t.equal(readdirSync(join(stateDir, 'runc')).length, 1, `${runtime} left its container state`);

  const reset = await runCli(['reset', '-f', '--keep-images', '-o', 'json', '--data-dir', dataDir]);
  t.equal(reset.code, 0, `reset -f --keep-images exits 0 ${reset.stderr}`);
  const summary = JSON.parse(reset.stdout) as { counts: Record<string, number>; problems: string[]; warnings: string[]; kept: string[] };
  t.same([...summary.problems, ...summary.warnings], [], 'no problems, no warnings');
  t.equal(summary.counts.container, 1, 'the container in the configured state directory is counted');
  t.equal(summary.counts.netns, 1, 'the node namespace is counted');
  t.equal(summary.counts['runtime-state'], 1, `the ${runtime} state is counted`);
  t.ok(summary.kept.includes(join(dataDir, 'kite.yaml')), 'kite.yaml is reported kept');
  await waitFor('no process on the data or state directory', () => processesOn(dataDir).length + processesOn(stateDir).length === 0, 30_000).catch(() => undefined);
  t.same([...processesOn(dataDir), ...processesOn(stateDir)], [], 'no process whose command line names the data or the state directory');
  t.ok(holders.every((h) => processInfo(h.pid)?.startTime !== h.startTime), 'the sandbox holder is gone');
  t.notOk(existsSync(stateDir), 'the configured state directory is removed');
  t.same(await netns(), [], 'no node namespace left');
  t.notOk(existsSync(`/sys/class/net/${prefix}br`), 'the node network bridge is gone');
  t.same(mountPointsUnder(dataDir), [], 'nothing mounted below the data directory');
  t.same(cgroups.filter((c) => existsSync(c)), [], 'the container\'s cgroup is gone');
  const left = filesUnder(dataDir).map((f) => relative(dataDir, f));
  t.ok(left.some((f) => f.endsWith('images')), 'an image store is kept');
  t.same(left.filter((f) => !/(^|\/)images$/.test(f) && f !== 'node' && !/^node\/[^/]+$/.test(f) && f !== 'kite.yaml'), [], 'only image stores (and the directories holding them) and kite.yaml are left');

  const again = await runCli(['reset', '-f', '--keep-images', '--data-dir', dataDir]);
  t.match(again.stdout, /nothing to remove/, 'a second reset has nothing to remove');
});
