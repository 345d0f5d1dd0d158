// The runc runtime: one OCI bundle per container under `<root>/containers/<id>` (overlay of the
// image rootfs), started by a detached supervisor shell running `runc run` in the foreground, so
// the exit code lands in `<bundle>/exit` even when the agent is not running. The pid file tells
// that the process started; its absence with an exit file is a start error.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type {
  AttachSession,
  ContainerConfig,
  ContainerRuntime,
  ContainerStats,
  ContainerStatus,
  ExecProcess,
  ExecResult,
  NetworkCheck,
  PullPolicy,
  SandboxConfig,
  SandboxStatus,
} from '../node-agent/runtime.js';
import { ImageError, StartError } from '../node-agent/runtime.js';
import { attachSession, trimLiveOutput } from './attach.js';
import { mounted, waitForBundleFile } from './bundle-watch.js';
import { startErrorMessage, startFailureCode } from './start-errors.js';
import { ociSpec } from './bundle.js';
import { execInContainer } from './exec-stream.js';
import { Launcher } from './launcher.js';
import { checkInNetns } from './network-check.js';
import { ociRuntime, type OciRuntime } from './oci-runtime.js';
import { Cgroups } from './cgroups.js';
import { readContainerStats } from './stats.js';
import { buildFromCatalogue } from './images/build.js';
import { familiarName, parseImageReference } from './images/reference.js';
import { pullImage, registryAllowed } from './images/registry.js';
import type { ImageStore } from './images/store.js';
import { BUSYBOX, Sandboxes } from './sandbox.js';
import { stdinFifo, supervisorCommand, supervisorScript } from './supervisor.js';

const run = promisify(execFile);
const LIVE_OUTPUT_TRIM_MS = 10_000;

export interface RuncOptions {
  /** Runtime state: bundles, sandboxes, runc's own state. */
  root: string;
  images: ImageStore;
  /** The OCI runtime binary: runc, or crun (see oci-runtime.ts). */
  runcBinary: string;
  /** Parent cgroup under every v1 controller. */
  cgroupParent: string;
  cgroupRoot: string;
  /** How often exits of adopted containers are looked for. */
  exitPollMs: number;
  /** Registries pulled from besides loopback ones; `*` for any. */
  registries: string[];
  /** Registries reached over plain HTTP (loopback ones always are). */
  insecureRegistries: string[];
}

interface ContainerMeta {
  config: ContainerConfig;
  /** The image rootfs the overlay is made of; the supervisor mounts it right before `runc run`. */
  lowerDir?: string;
  imageRef: string;
  createdAt: string;
  /** Started by a supervisor that writes `stdout.live`/`stderr.live` (older ones wrote only the log). */
  splitOutput?: boolean;
}


export class RuncRuntime implements ContainerRuntime {
  private readonly sandboxes: Sandboxes;
  private readonly cgroups: Cgroups;
  private readonly containersDir: string;
  private readonly runcRoot: string;
  private readonly listeners = new Set<(id: string) => void>();
  private readonly watched = new Set<string>();
  private readonly pulls = new Map<string, Promise<string>>();
  /** meta.json of each container, read once: every pod sync asks for the status of its containers. */
  private readonly metas = new Map<string, ContainerMeta>();
  /** Statuses of exited containers, which never change again. */
  private readonly exited = new Map<string, ContainerStatus>();
  private poller?: NodeJS.Timeout;
  private trimmer?: NodeJS.Timeout;
  /** Starts the programs of the pod start and stop paths off the agent's event loop. */
  private readonly launcher = new Launcher();
  /** How the OCI runtime is invoked (known after init). */
  private oci: OciRuntime;
  private probed?: Promise<void>;

  constructor(private readonly opts: RuncOptions) {
    this.sandboxes = new Sandboxes(join(opts.root, 'sandboxes'), (file, args) => this.launcher.detachedUntilReady(file, args));
    this.cgroups = new Cgroups({ root: opts.cgroupRoot, parent: opts.cgroupParent });
    this.containersDir = join(opts.root, 'containers');
    this.runcRoot = join(opts.root, 'runc');
    this.oci = { flavor: 'runc', version: 'runc://unknown', command: [opts.runcBinary], binary: opts.runcBinary };
  }

  /** Runs one command of the OCI runtime through the launcher. */
  private runOci(args: string[]): Promise<{ stdout: string; stderr: string }> {
    const [file, ...lead] = this.oci.command;
    return this.launcher.run(file!, [...lead, '--root', this.runcRoot, ...args]);
  }

  /** Asks the binary what it is, once: runc and crun are invoked a little differently. */
  private probeOci(): Promise<void> {
    this.probed ??= run(this.opts.runcBinary, ['--version']).catch(() => ({ stdout: '' })).then(({ stdout }) => {
      this.oci = ociRuntime(this.opts.runcBinary, stdout, this.opts.cgroupRoot);
    });
    return this.probed;
  }

  async init(): Promise<void> {
    await this.probeOci();
    await this.opts.images.init();
    await this.sandboxes.init();
    await mkdir(this.containersDir, { recursive: true });
    await mkdir(this.runcRoot, { recursive: true });
    for (const c of await this.listContainers()) if (c.state === 'running') this.watched.add(c.id);
    this.poller = setInterval(() => void this.pollExits(), this.opts.exitPollMs);
    this.poller.unref();
    // The per-stream output files attachers follow only need what is new.
    this.trimmer = setInterval(() => { for (const id of this.watched) void trimLiveOutput(join(this.containersDir, id)); }, LIVE_OUTPUT_TRIM_MS);
    this.trimmer.unref();
  }

  async version(): Promise<string> {
    await this.probeOci();
    return this.oci.version;
  }

  ensureImage(image: string, policy: PullPolicy): Promise<string> {
    let ref: ReturnType<typeof parseImageReference>;
    try {
      ref = parseImageReference(image);
    } catch (e) {
      // The contract is asynchronous: a malformed name rejects, it does not throw.
      return Promise.reject(e);
    }
    let pending = this.pulls.get(ref.full);
    if (!pending) {
      pending = this.findOrBuild(image, policy).finally(() => this.pulls.delete(ref.full));
      this.pulls.set(ref.full, pending);
    }
    return pending;
  }

  private async findOrBuild(image: string, policy: PullPolicy): Promise<string> {
    const ref = parseImageReference(image);
    const images = this.opts.images;
    const canPull = registryAllowed(ref.domain, this.opts.registries);
    let stored = await images.resolve(image);
    if (stored && policy === 'Always' && canPull) {
      // Refresh from the registry; a registry that cannot be reached leaves the local copy in use.
      await pullImage(images, ref, { insecure: this.opts.insecureRegistries }).catch(() => undefined);
      stored = await images.resolve(image);
    }
    if (stored) return `${ref.repository}@${stored.digest}`;
    if (policy === 'Never') throw new ImageError('ErrImageNeverPull', `Container image "${image}" is not present with pull policy of Never`);
    let built = false;
    try {
      built = await buildFromCatalogue(images, image);
    } catch (e) {
      throw new ImageError('ErrImagePull', `failed to pull and unpack image "${ref.full}": ${(e as Error).message}`);
    }
    if (!built) {
      if (!canPull) {
        throw new ImageError('ErrImagePull', `failed to pull and unpack image "${ref.full}": failed to resolve reference "${ref.full}": ${familiarName(ref)} is not in the local image store and ${ref.domain} is not among the registries this node pulls from`);
      }
      await pullImage(images, ref, { insecure: this.opts.insecureRegistries });
    }
    return this.findOrBuild(image, 'Never');
  }

  createSandbox(config: SandboxConfig): Promise<SandboxStatus> {
    return this.sandboxes.create(config);
  }

  async removeSandbox(id: string): Promise<void> {
    // Only the containers' metadata, not their statuses: a full status of every container on the
    // node per removed pod made deleting 50 pods quadratic.
    for (const cid of await readdir(this.containersDir).catch(() => [] as string[])) {
      if ((await this.meta(cid))?.config.sandboxId === id) await this.removeContainer(cid);
    }
    await this.sandboxes.remove(id);
  }

  listSandboxes(): Promise<SandboxStatus[]> {
    return this.sandboxes.list();
  }

  async createContainer(config: ContainerConfig): Promise<string> {
    const id = `${config.podUid.slice(0, 13)}-${config.name}-${config.attempt}`;
    const bundle = join(this.containersDir, id);
    if (existsSync(bundle)) await this.removeContainer(id);
    const image = await this.opts.images.resolve(config.image);
    if (!image) throw new ImageError('ErrImagePull', `image "${config.image}" is not in the local image store`);
    const lower = await this.opts.images.rootfs(image);
    const { name: hostname, namespaces } = await this.sandboxes.forContainer(config.sandboxId);
    await mkdir(join(bundle, 'rootfs'), { recursive: true });
    await mkdir(join(bundle, 'upper'), { recursive: true });
    await mkdir(join(bundle, 'work'), { recursive: true });
    const meta: ContainerMeta = { config, lowerDir: lower, imageRef: `${parseImageReference(image.reference).repository}@${image.digest}`, createdAt: new Date().toISOString(), ...(config.tty ? {} : { splitOutput: true }) };
    await writeFile(join(bundle, 'meta.json'), JSON.stringify(meta));
    this.metas.set(id, meta);
    const spec = ociSpec({ config, image: image.config.config, hostname, cgroupsPath: this.cgroups.runcPath(id), namespaces });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec, null, 1));
    if (config.stdin || config.tty) await this.launcher.run('mkfifo', ['-m', '600', stdinFifo(bundle)]);
    await this.cgroups.create(id, config.resources);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const bundle = join(this.containersDir, id);
    const meta = await this.meta(id);
    if (!meta) throw new StartError(`container ${id} does not exist`);
    await mkdir(join(meta.config.logPath, '..'), { recursive: true });
    // `runc run` in the foreground under a detached shell: its exit status is the container's (128+n for signal n).
    const { config } = meta;
    const script = supervisorScript({
      runc: this.oci.binary, runcRoot: this.runcRoot, bundle, id, logPath: config.logPath, stdin: !!config.stdin, stdinOnce: !!config.stdinOnce, tty: !!config.tty, lowerDir: meta.lowerDir,
      ownMountNamespace: this.oci.hide ? { hide: this.oci.hide } : {},
    });
    await this.launcher.detached(...supervisorCommand(BUSYBOX, script));
    this.watched.add(id);
    let found: string | undefined;
    while (!(found = await waitForBundleFile(bundle, ['pid', 'exit'], 60_000)));
    // Both may be there when the process ended at once: it did start.
    if (found === 'exit' && !existsSync(join(bundle, 'pid'))) {
      this.watched.delete(id);
      throw new StartError(await startErrorMessage(bundle));
    }
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    const bundle = join(this.containersDir, id);
    if (!existsSync(join(bundle, 'pid')) || existsSync(join(bundle, 'exit'))) return;
    const kill = (signal: NodeJS.Signals) => this.signalContainer(id, bundle, signal);
    if (graceSeconds > 0) {
      await kill('SIGTERM');
      if (await waitForBundleFile(bundle, ['exit'], graceSeconds * 1000)) return;
    }
    await kill('SIGKILL');
    await waitForBundleFile(bundle, ['exit'], 10_000);
  }

  /**
   * What `runc kill <id> <signal>` does (signal the container's init; SIGKILL to a PID namespace's
   * init ends every process in it), without a runc start (~35 ms of CPU each here). The pid is
   * checked to still be in this container's cgroup, so a reused pid is never signalled.
   */
  private async signalContainer(id: string, bundle: string, signal: NodeJS.Signals): Promise<void> {
    const pid = Number(await readFile(join(bundle, 'pid'), 'utf8').catch(() => ''));
    let cgroup = '';
    try { cgroup = pid > 0 ? readFileSync(`/proc/${pid}/cgroup`, 'utf8') : ''; } catch { /* gone */ }
    if (pid > 0 && !cgroup) return; // the process has ended: the exit file is on its way
    if (cgroup.includes(`${this.cgroups.runcPath(id)}\n`)) {
      try { process.kill(pid, signal); } catch { /* exited meanwhile */ }
      return;
    }
    // Not found where expected (e.g. another cgroup layout): let runc find it.
    await this.runOci(['kill', id, signal.slice(3)]).catch(() => undefined);
  }

  async removeContainer(id: string): Promise<void> {
    const bundle = join(this.containersDir, id);
    await this.stopContainer(id, 0);
    this.watched.delete(id);
    // `runc run` in the foreground deletes its own state when the process ends, and the rootfs is
    // mounted only in the supervisor's own mount namespace (older supervisors unmounted it after
    // runc): the two program starts are needed only when that did not happen.
    if (existsSync(join(this.runcRoot, id))) {
      await this.runOci(['delete', '--force', id]).catch(() => undefined);
    }
    if (await mounted(join(bundle, 'rootfs'))) await this.launcher.run('umount', ['-l', join(bundle, 'rootfs')]).catch(() => undefined);
    await this.cgroups.remove(id);
    await rm(bundle, { recursive: true, force: true });
    this.metas.delete(id);
    this.exited.delete(id);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const done = this.exited.get(id);
    if (done) return { ...done };
    const meta = await this.meta(id);
    if (!meta) return undefined;
    const bundle = join(this.containersDir, id);
    const { config } = meta;
    const status: ContainerStatus = {
      id,
      sandboxId: config.sandboxId,
      podUid: config.podUid,
      name: config.name,
      attempt: config.attempt,
      image: config.image,
      imageRef: meta.imageRef,
      state: 'created',
      createdAt: meta.createdAt,
      logPath: config.logPath,
    };
    const pidFile = join(bundle, 'pid');
    const exitFile = join(bundle, 'exit');
    const started = existsSync(pidFile);
    if (started) {
      status.state = 'running';
      status.startedAt = statSync(pidFile).mtime.toISOString();
    }
    if (existsSync(exitFile)) {
      status.state = 'exited';
      status.finishedAt = statSync(exitFile).mtime.toISOString();
      const code = Number((await readFile(exitFile, 'utf8')).trim());
      if (!started) {
        status.exitCode = 128;
        status.reason = 'StartError';
        status.message = await startErrorMessage(bundle);
        status.startedAt = new Date(0).toISOString();
      } else {
        status.exitCode = Number.isFinite(code) ? code : 255;
        status.reason = status.exitCode === 0 ? 'Completed' : status.exitCode === 137 && (await this.cgroups.hitMemoryLimit(id)) ? 'OOMKilled' : 'Error';
      }
      this.exited.set(id, { ...status });
    }
    return status;
  }

  /** Usage from the container's cgroups while it runs (started, no exit file: its cgroups outlive it). */
  async containerStats(id: string): Promise<ContainerStats | undefined> {
    const bundle = join(this.containersDir, id);
    if (this.exited.has(id) || !existsSync(join(bundle, 'pid')) || existsSync(join(bundle, 'exit'))) return undefined;
    return readContainerStats({ root: this.opts.cgroupRoot, parent: this.opts.cgroupParent }, id);
  }

  async listContainers(): Promise<ContainerStatus[]> {
    const out: ContainerStatus[] = [];
    for (const id of await readdir(this.containersDir).catch(() => [] as string[])) {
      const s = await this.containerStatus(id);
      if (s) out.push(s);
    }
    return out;
  }

  onExit(listener: (id: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async pollExits(): Promise<void> {
    for (const id of [...this.watched]) {
      if (!existsSync(join(this.containersDir, id, 'exit'))) continue;
      this.watched.delete(id);
      for (const l of this.listeners) l(id);
    }
  }

  async exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    try {
      const [file, ...lead] = this.oci.command;
      const { stdout, stderr } = await run(file!, [...lead, '--root', this.runcRoot, 'exec', id, ...command], { timeout: timeoutMs });
      return { exitCode: 0, output: stdout + stderr };
    } catch (e) {
      const err = e as { code?: number | string; stdout?: string; stderr?: string; killed?: boolean };
      if (err.killed) return { exitCode: -1, output: `command timed out after ${timeoutMs} ms` };
      const output = `${err.stdout ?? ''}${err.stderr ?? ''}`;
      return { exitCode: typeof err.code === 'number' ? startFailureCode(err.code, output) : 1, output };
    }
  }

  execStream(id: string, command: string[], tty?: { cols: number; rows: number }): ExecProcess {
    return execInContainer({ runc: this.oci.command, runcRoot: this.runcRoot, bundle: join(this.containersDir, id), id }, command, tty);
  }

  async attachContainer(id: string): Promise<AttachSession> {
    const bundle = join(this.containersDir, id);
    const status = await this.containerStatus(id);
    if (status?.state !== 'running') throw new Error(`container ${id} is not running`);
    const pid = Number(await readFile(join(bundle, 'pid'), 'utf8').catch(() => ''));
    const meta = await this.meta(id);
    const config = meta?.config;
    return attachSession({ bundle, logPath: status.logPath, ...(pid ? { pid } : {}), tty: !!config?.tty, splitOutput: !!meta?.splitOutput, stdinOnce: !!config?.stdinOnce, running: () => !existsSync(join(bundle, 'exit')) });
  }

  async checkNetwork(sandboxId: string, check: NetworkCheck, timeoutMs: number): Promise<{ ok: boolean; message?: string }> {
    const sandbox = await this.sandboxes.get(sandboxId);
    if (!sandbox?.netnsPath) return { ok: false, message: 'pod sandbox is not running' };
    return checkInNetns(sandbox.netnsPath, check, timeoutMs);
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    if (this.trimmer) clearInterval(this.trimmer);
    this.poller = this.trimmer = undefined;
    this.listeners.clear();
    this.launcher.close();
  }

  private async meta(id: string): Promise<ContainerMeta | undefined> {
    const known = this.metas.get(id);
    if (known) return known;
    try {
      const meta = JSON.parse(await readFile(join(this.containersDir, id, 'meta.json'), 'utf8')) as ContainerMeta;
      this.metas.set(id, meta);
      return meta;
    } catch {
      return undefined;
    }
  }
}
