// The runc runtime: one OCI bundle per container under `<root>/containers/<id>` (overlay of the
// image rootfs), started by a detached supervisor shell running `runc run` in the foreground, so
// the exit code lands in `<bundle>/exit` even when the agent is not running. The pid file tells
// that the process started; its absence with an exit file is a start error.
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type {
  AttachSession,
  ContainerConfig,
  ContainerRuntime,
  ContainerStatus,
  ExecProcess,
  ExecResult,
  NetworkCheck,
  PullPolicy,
  SandboxConfig,
  SandboxStatus,
} from '../node-agent/runtime.js';
import { ImageError, StartError } from '../node-agent/runtime.js';
import { attachSession, stdinFifo, supervisorScript } from './attach.js';
import { ociSpec } from './bundle.js';
import { execInContainer } from './exec-stream.js';
import { Launcher } from './launcher.js';
import { Cgroups } from './cgroups.js';
import { buildFromCatalogue } from './images/build.js';
import { familiarName, parseImageReference } from './images/reference.js';
import { pullImage, registryAllowed } from './images/registry.js';
import type { ImageStore } from './images/store.js';
import { Sandboxes } from './sandbox.js';

const run = promisify(execFile);

export interface RuncOptions {
  /** Runtime state: bundles, sandboxes, runc's own state. */
  root: string;
  images: ImageStore;
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
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RuncRuntime implements ContainerRuntime {
  private readonly sandboxes: Sandboxes;
  private readonly cgroups: Cgroups;
  private readonly containersDir: string;
  private readonly runcRoot: string;
  private readonly listeners = new Set<(id: string) => void>();
  private readonly watched = new Set<string>();
  private readonly pulls = new Map<string, Promise<string>>();
  private poller?: NodeJS.Timeout;
  /** Starts the programs of the pod start and stop paths off the agent's event loop. */
  private readonly launcher = new Launcher();

  constructor(private readonly opts: RuncOptions) {
    this.sandboxes = new Sandboxes(join(opts.root, 'sandboxes'), (file, args) => this.launcher.detached(file, args));
    this.cgroups = new Cgroups({ root: opts.cgroupRoot, parent: opts.cgroupParent });
    this.containersDir = join(opts.root, 'containers');
    this.runcRoot = join(opts.root, 'runc');
  }

  async init(): Promise<void> {
    await this.opts.images.init();
    await this.sandboxes.init();
    await mkdir(this.containersDir, { recursive: true });
    await mkdir(this.runcRoot, { recursive: true });
    for (const c of await this.listContainers()) if (c.state === 'running') this.watched.add(c.id);
    this.poller = setInterval(() => void this.pollExits(), this.opts.exitPollMs);
    this.poller.unref();
  }

  async version(): Promise<string> {
    const { stdout } = await run(this.opts.runcBinary, ['--version']);
    return `runc://${/runc version (\S+)/.exec(stdout)?.[1] ?? 'unknown'}`;
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
    for (const c of await this.listContainers()) if (c.sandboxId === id) await this.removeContainer(c.id);
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
    const sandbox = await this.sandboxes.get(config.sandboxId);
    const namespaces = await this.sandboxes.namespacePaths(config.sandboxId);
    await mkdir(join(bundle, 'rootfs'), { recursive: true });
    await mkdir(join(bundle, 'upper'), { recursive: true });
    await mkdir(join(bundle, 'work'), { recursive: true });
    const meta: ContainerMeta = { config, lowerDir: lower, imageRef: `${parseImageReference(image.reference).repository}@${image.digest}`, createdAt: new Date().toISOString() };
    await writeFile(join(bundle, 'meta.json'), JSON.stringify(meta));
    const spec = ociSpec({ config, image: image.config.config, hostname: sandbox?.name ?? config.name, cgroupsPath: this.cgroups.runcPath(id), namespaces });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec, null, 1));
    if (config.stdin || config.tty) await run('mkfifo', ['-m', '600', stdinFifo(bundle)]);
    await this.cgroups.create(id, config.resources);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const bundle = join(this.containersDir, id);
    const meta = await this.meta(id);
    if (!meta) throw new StartError(`container ${id} does not exist`);
    await mkdir(join(meta.config.logPath, '..'), { recursive: true });
    // `runc run` in the foreground under a detached shell: its exit status is the container's (128+n for signal n).
    const script = supervisorScript({ runc: this.opts.runcBinary, runcRoot: this.runcRoot, bundle, id, logPath: meta.config.logPath, stdin: !!meta.config.stdin, tty: !!meta.config.tty, lowerDir: meta.lowerDir });
    await this.launcher.detached('sh', ['-c', script]);
    this.watched.add(id);
    for (;;) {
      if (existsSync(join(bundle, 'pid'))) return;
      if (existsSync(join(bundle, 'exit'))) {
        this.watched.delete(id);
        throw new StartError(await this.startErrorMessage(bundle));
      }
      await sleep(15);
    }
  }

  /** runc's own complaint (e.g. `exec: "foo": executable file not found in $PATH`), from its log. */
  private async startErrorMessage(bundle: string): Promise<string> {
    const log = await readFile(join(bundle, 'runc.log'), 'utf8').catch(() => '');
    const messages = log.split('\n').filter(Boolean).map((line) => {
      try {
        return (JSON.parse(line) as { msg?: string }).msg ?? line;
      } catch {
        return /msg="((?:[^"\\]|\\.)*)"/.exec(line)?.[1]?.replace(/\\"/g, '"') ?? line;
      }
    });
    const last = messages.filter((m) => !/^(starting|signal)/.test(m)).pop() ?? 'runc failed without a message';
    return `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: ${last.replace(/^runc run failed: /, '')}: unknown`;
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    const bundle = join(this.containersDir, id);
    if (!existsSync(join(bundle, 'pid')) || existsSync(join(bundle, 'exit'))) return;
    const kill = (signal: string) => this.launcher.run(this.opts.runcBinary, ['--root', this.runcRoot, 'kill', id, signal]).catch(() => undefined);
    if (graceSeconds > 0) {
      await kill('TERM');
      if (await this.waitForExit(bundle, graceSeconds * 1000)) return;
    }
    await kill('KILL');
    await this.waitForExit(bundle, 10_000);
  }

  private async waitForExit(bundle: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (existsSync(join(bundle, 'exit'))) return true;
      await sleep(50);
    }
    return existsSync(join(bundle, 'exit'));
  }

  async removeContainer(id: string): Promise<void> {
    const bundle = join(this.containersDir, id);
    await this.stopContainer(id, 0);
    this.watched.delete(id);
    await this.launcher.run(this.opts.runcBinary, ['--root', this.runcRoot, 'delete', '--force', id]).catch(() => undefined);
    await this.launcher.run('umount', ['-l', join(bundle, 'rootfs')]).catch(() => undefined);
    await this.cgroups.remove(id);
    await rm(bundle, { recursive: true, force: true });
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
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
        status.message = await this.startErrorMessage(bundle);
        status.startedAt = new Date(0).toISOString();
      } else {
        status.exitCode = Number.isFinite(code) ? code : 255;
        status.reason = status.exitCode === 0 ? 'Completed' : status.exitCode === 137 && (await this.cgroups.hitMemoryLimit(id)) ? 'OOMKilled' : 'Error';
      }
    }
    return status;
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
      const { stdout, stderr } = await run(this.opts.runcBinary, ['--root', this.runcRoot, 'exec', id, ...command], { timeout: timeoutMs });
      return { exitCode: 0, output: stdout + stderr };
    } catch (e) {
      const err = e as { code?: number | string; stdout?: string; stderr?: string; killed?: boolean };
      if (err.killed) return { exitCode: -1, output: `command timed out after ${timeoutMs} ms` };
      const output = `${err.stdout ?? ''}${err.stderr ?? ''}`;
      return { exitCode: typeof err.code === 'number' ? startFailureCode(err.code, output) : 1, output };
    }
  }

  execStream(id: string, command: string[], tty?: { cols: number; rows: number }): ExecProcess {
    return execInContainer({ runc: this.opts.runcBinary, runcRoot: this.runcRoot, bundle: join(this.containersDir, id), id }, command, tty);
  }

  async attachContainer(id: string): Promise<AttachSession> {
    const bundle = join(this.containersDir, id);
    const status = await this.containerStatus(id);
    if (status?.state !== 'running') throw new Error(`container ${id} is not running`);
    const pid = Number(await readFile(join(bundle, 'pid'), 'utf8').catch(() => ''));
    return attachSession(bundle, status.logPath, pid || undefined, () => !existsSync(join(bundle, 'exit')));
  }

  async checkNetwork(sandboxId: string, check: NetworkCheck, timeoutMs: number): Promise<{ ok: boolean; message?: string }> {
    const sandbox = await this.sandboxes.get(sandboxId);
    if (!sandbox?.netnsPath) return { ok: false, message: 'pod sandbox is not running' };
    const host = check.host || '127.0.0.1';
    const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
    const netns = `--net=${sandbox.netnsPath}`;
    if (check.kind === 'http') {
      const url = `${(check.scheme ?? 'HTTP').toLowerCase()}://${host}:${check.port}${check.path}`;
      // The host's curl in the pod's network namespace; Kubernetes counts 200-399 as success.
      try {
        const { stdout } = await run('nsenter', [netns, 'curl', '-s', '-k', '-o', '/dev/null', '-w', '%{http_code}', '-m', seconds, url], { timeout: timeoutMs + 1000 });
        const code = Number(stdout.trim());
        return code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` };
      } catch {
        return { ok: false, message: `Get "${url}": dial tcp ${host}:${check.port}: connect: connection refused` };
      }
    }
    try {
      // bash's /dev/tcp: connect and close, nothing sent.
      await run('nsenter', [netns, 'bash', '-c', 'exec 3<>"/dev/tcp/$0/$1"', host, String(check.port)], { timeout: timeoutMs });
      return { ok: true };
    } catch {
      return { ok: false, message: `dial tcp ${host}:${check.port}: connect: connection refused` };
    }
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    this.listeners.clear();
    this.launcher.close();
  }

  private async meta(id: string): Promise<ContainerMeta | undefined> {
    try {
      return JSON.parse(await readFile(join(this.containersDir, id, 'meta.json'), 'utf8')) as ContainerMeta;
    } catch {
      return undefined;
    }
  }
}

/**
 * runc exits 255 when it cannot start the exec'd process at all; shells (and the contract) say 127
 * for a command that is not there and 126 for one that cannot be executed.
 */
export function startFailureCode(code: number, output: string): number {
  if (code !== 255 || !/exec failed|unable to start container process/.test(output)) return code;
  return /permission denied/.test(output) ? 126 : 127;
}
