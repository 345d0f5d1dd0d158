// The ContainerRuntime contract suite: drives any runtime plugin through the calls the node agent
// makes (images, sandboxes, container lifecycle, exit reporting, exec, network checks) and checks
// the answers against the contract in plugins/node-agent/runtime.ts. A vendor calls
// runContainerRuntimeConformance with a factory for its runtime; Kite runs it against its own two.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import { ImageError, type ContainerConfig, type RuntimePlugin } from '../../../plugins/node-agent/runtime.js';

type SuiteTest = Test;

export interface RuntimeUnderTest {
  name: string;
  create(): Promise<RuntimePlugin>;
  /** The runtime runs real processes: exit codes, logs, exec output and signals are checked. */
  processes: boolean;
  /** The runtime resolves image names itself: malformed and missing images must fail with ImageError. */
  images: boolean;
  /** An image every conforming runtime can run, with `sh`, `sleep`, `echo` and `ls` (default `busybox`). */
  image?: string;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runContainerRuntimeConformance(t: SuiteTest, rut: RuntimeUnderTest): Promise<void> {
  const image = rut.image ?? 'busybox';
  const runtime = await rut.create();
  await runtime.start();
  const dir = mkdtempSync(join(tmpdir(), `kite-cri-conformance-`));
  const sandboxes = new Set<string>();
  t.teardown(async () => {
    for (const id of sandboxes) await runtime.removeSandbox(id).catch(() => undefined);
    await runtime.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const sandbox = async (name: string) => {
    const podUid = randomUUID();
    const podDir = join(dir, podUid);
    const s = await runtime.createSandbox({ podUid, namespace: 'conformance', name, hostname: name, podDir });
    sandboxes.add(s.id);
    return s;
  };
  const container = (s: { id: string; podUid: string }, name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig => ({
    sandboxId: s.id, podUid: s.podUid, name, attempt: 0, image, command, env: [], mounts: [], resources: {}, logPath: join(dir, `${s.podUid}-${name}.log`), ...extra,
  });

  await t.test('version names the runtime', async (t) => {
    t.match(await runtime.version(), /^[a-z0-9-]+:\/\/\S+$/, 'version is <name>://<version>');
  });

  await t.test('images', async (t) => {
    const ref = await runtime.ensureImage(image, 'IfNotPresent');
    t.ok(typeof ref === 'string' && ref.length > 0, `ensureImage returns a reference (${ref})`);
    if (!rut.images) return;
    const bad = await runtime.ensureImage('Not A Valid//Name', 'IfNotPresent').catch((e: unknown) => e);
    t.ok(bad instanceof ImageError && bad.reason === 'InvalidImageName', 'a malformed name is InvalidImageName');
    const never = await runtime.ensureImage('conformance.invalid/no-such-image:1', 'Never').catch((e: unknown) => e);
    t.ok(never instanceof ImageError && never.reason === 'ErrImageNeverPull', 'a missing image with policy Never is ErrImageNeverPull');
  });

  await t.test('sandboxes: create, list, remove twice', async (t) => {
    const s = await sandbox('sb-lifecycle');
    t.equal(s.ready, true, 'a new sandbox is ready');
    t.ok((await runtime.listSandboxes()).some((x) => x.id === s.id), 'listed');
    await runtime.removeSandbox(s.id);
    await runtime.removeSandbox(s.id);
    t.ok(!(await runtime.listSandboxes()).some((x) => x.id === s.id), 'gone after remove; a second remove is fine');
    sandboxes.delete(s.id);
  });

  await t.test('a container runs, stops within its grace period, and is removed', async (t) => {
    const s = await sandbox('sb-run');
    const id = await runtime.createContainer(container(s, 'sleeper', ['sleep', '3600']));
    t.equal((await runtime.containerStatus(id))?.state, 'created', 'created, not started');
    await runtime.startContainer(id);
    const running = await runtime.containerStatus(id);
    t.equal(running?.state, 'running');
    t.match(running, { id, sandboxId: s.id, podUid: s.podUid, name: 'sleeper', attempt: 0 });
    t.ok(running?.startedAt, 'startedAt set');
    t.ok((await runtime.listContainers()).some((c) => c.id === id), 'listed');
    const exited: string[] = [];
    const off = runtime.onExit((x) => exited.push(x));
    await runtime.stopContainer(id, 2);
    const stopped = await runtime.containerStatus(id);
    t.equal(stopped?.state, 'exited', 'stopContainer resolves once exited');
    await until('the exit listener', async () => exited.includes(id));
    off();
    await runtime.removeContainer(id);
    t.equal(await runtime.containerStatus(id), undefined, 'no status after remove');
  });

  await t.test('resource usage of a running container (optional containerStats)', async (t) => {
    if (!runtime.containerStats) return void t.pass('containerStats not implemented: the node serves node metrics only');
    const s = await sandbox('sb-stats');
    const id = await runtime.createContainer(container(s, 'measured', ['sleep', '3600'], { resources: { cpuRequestMillis: 100, memoryRequestBytes: 8 * 2 ** 20 } }));
    t.equal(await runtime.containerStats(id), undefined, 'nothing before it starts');
    await runtime.startContainer(id);
    const first = await runtime.containerStats(id);
    t.ok(first && first.cpuUsageNanoSeconds >= 0 && first.memoryWorkingSetBytes >= 0 && first.timestampMs > 0, 'numbers while it runs');
    await new Promise((r) => setTimeout(r, 200));
    const second = await runtime.containerStats(id);
    t.ok(second && second.cpuUsageNanoSeconds >= first!.cpuUsageNanoSeconds && second.timestampMs >= first!.timestampMs, 'CPU time is cumulative');
    await runtime.stopContainer(id, 1);
    t.equal(await runtime.containerStats(id), undefined, 'nothing once it has exited');
    await runtime.removeContainer(id);
  });

  await t.test('exit codes and reasons are reported', async (t) => {
    const s = await sandbox('sb-exit');
    for (const [code, reason] of [[0, 'Completed'], [3, 'Error']] as const) {
      const id = await runtime.createContainer(container(s, `exit-${code}`, ['sh', '-c', `echo conformance-${code}; exit ${code}`]));
      await runtime.startContainer(id);
      await until(`exit ${code}`, async () => (await runtime.containerStatus(id))?.state === 'exited');
      const st = await runtime.containerStatus(id);
      t.equal(st?.exitCode, code, `exit code ${code}`);
      t.equal(st?.reason, reason, `reason ${reason}`);
      t.ok(st?.finishedAt, 'finishedAt set');
      if (rut.processes) {
        await until('log written', async () => existsSync(st!.logPath) && readFileSync(st!.logPath, 'utf8').includes(`conformance-${code}`), 5_000);
        t.ok(true, 'stdout reached the log path');
      }
    }
  });

  await t.test('exec in a running container', async (t) => {
    const s = await sandbox('sb-exec');
    const id = await runtime.createContainer(container(s, 'main', ['sleep', '3600']));
    await runtime.startContainer(id);
    const ls = await runtime.exec(id, ['ls', '/'], 10_000);
    t.equal(ls.exitCode, 0, 'ls / exits 0');
    if (!rut.processes) return;
    t.match(ls.output, /bin/, 'ls output');
    t.equal((await runtime.exec(id, ['sh', '-c', 'exit 2'], 10_000)).exitCode, 2, 'exit code of the command');
    const missing = await runtime.exec(id, ['/no/such/binary'], 10_000);
    t.ok(missing.exitCode === 126 || missing.exitCode === 127, `a missing binary gives 126/127 (got ${missing.exitCode})`);
    const p = runtime.execStream(id, ['cat']);
    let out = '';
    p.onStdout((d) => { out += Buffer.from(d).toString(); });
    p.writeStdin(Buffer.from('through stdin\n'));
    p.closeStdin();
    t.equal(await p.exited, 0, 'streamed exec exits 0');
    t.equal(out, 'through stdin\n', 'stdin reached the process and came back on stdout');
  });

  await t.test('network checks', async (t) => {
    const s = await sandbox('sb-net');
    if (!rut.processes) {
      t.ok((await runtime.checkNetwork(s.id, { kind: 'tcp', port: 1 }, 1_000)).ok !== undefined, 'answers');
      return;
    }
    const closed = await runtime.checkNetwork(s.id, { kind: 'tcp', port: 1 }, 2_000);
    t.equal(closed.ok, false, 'nothing listens on port 1 in a new pod');
    const id = await runtime.createContainer(container(s, 'web', ['httpd', '-f', '-p', '8089', '-h', '/']));
    await runtime.startContainer(id);
    await until('httpd listening', async () => (await runtime.checkNetwork(s.id, { kind: 'tcp', port: 8089 }, 1_000)).ok);
    t.ok(true, 'tcp check passes once a container listens');
  });
}
