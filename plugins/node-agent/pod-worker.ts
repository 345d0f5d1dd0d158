// One pod on this node: a serialized sync loop (like the kubelet's pod worker) that creates the
// sandbox, runs init containers in order and then the app containers, restarts them by policy
// with exponential back-off, and reports status. Every trigger (pod change, container exit, probe
// result, back-off timer) just asks for another sync.
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../kernel/log.js';
import { isStatusError } from '../../kernel/objects/status.js';
import { defaultPullPolicy } from '../../kernel/objects/validation/pod-defaults.js';
import type { ObjectStore } from '../../kernel/store/types.js';
import { ConfigError, PodSources, cleanupPodDir, containerMounts, containerResources, expandCommand, prepareVolumes, qosClass, resolveEnv } from './container-config.js';
import type { EventRecorder } from './events.js';
import { computePodStatus, mergeStatus, wantsRestart, type ContainerRecord } from './pod-status.js';
import { NODE_AGENT_FINALIZER, POD_RESOURCE, type ContainerSpec, type Pod } from './pod-types.js';
import { hostPortMappings } from './pod-network.js';
import { ContainerProber } from './probes.js';
import { ImageError, type ContainerRuntime, type ContainerStatus, type PullPolicy, type SandboxStatus } from './runtime.js';

export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
  /** A container that ran this long before exiting starts again with the initial delay. */
  resetAfterMs: number;
}

export interface WorkerDeps {
  runtime: ContainerRuntime;
  store: ObjectStore;
  events: EventRecorder;
  logger: Logger;
  hostIP: string;
  /** `<dataDir>/node/<nodeName>`: pods keep logs and volumes under `pods/<uid>`. */
  nodeDir: string;
  backoff: BackoffSettings;
  /** The worker has finished (pod removed and cleaned up). */
  gone(uid: string): void;
  /** The pod first reported Running, this many seconds after the worker first saw it. */
  started?(seconds: number): void;
}

const seconds = (ms: number) => (ms >= 60_000 ? `${Math.round(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s` : `${Math.round(ms / 1000)}s`);

export class PodWorker {
  readonly records = new Map<string, ContainerRecord>();
  /** Ids of this pod's container instances (current, previous, and one being started). */
  private readonly instances = new Set<string>();
  private readonly probers = new Map<string, ContainerProber>();
  private sandbox?: SandboxStatus;
  private startTime?: string;
  private syncing = false;
  private inFlight: Promise<void> = Promise.resolve();
  private again = false;
  private wakeAt = 0;
  private timer?: NodeJS.Timeout;
  private lastStatus = '';
  private done = false;
  private readonly seenAt = Date.now();
  private reportedRunning = false;
  private sandboxBackoffMs?: number;
  private sandboxRetryAt = 0;
  private readonly log: Logger;

  constructor(private pod: Pod, private readonly deps: WorkerDeps, adopted: { sandbox?: SandboxStatus; containers: ContainerStatus[] }) {
    this.log = deps.logger.child({ pod: `${pod.metadata.namespace}/${pod.metadata.name}` });
    this.sandbox = adopted.sandbox;
    this.startTime = pod.status?.startTime;
    const specs = [...(pod.spec.initContainers ?? []).map((c) => ({ c, init: true })), ...pod.spec.containers.map((c) => ({ c, init: false }))];
    for (const { c, init } of specs) {
      const instances = adopted.containers.filter((s) => s.name === c.name).sort((a, b) => b.attempt - a.attempt);
      const record: ContainerRecord = { name: c.name, init, current: instances[0], previous: instances[1], ready: false, started: false };
      for (const s of instances) this.instances.add(s.id);
      this.records.set(c.name, record);
      if (record.current?.state === 'running') this.startProber(c, record, record.current.id);
    }
  }

  get uid(): string {
    return this.pod.metadata.uid!;
  }

  get podDir(): string {
    return join(this.deps.nodeDir, 'pods', this.uid);
  }

  get current(): Pod {
    return this.pod;
  }

  update(pod: Pod): void {
    // The watch echoes every status write of this worker, which already holds the stored object:
    // a sync per echo (two per pod start) computed the same status again. An echo that arrives
    // after a newer write has returned must not take the worker back to the older object either.
    if (!isNewer(pod, this.pod)) return;
    this.pod = pod;
    this.kick();
  }

  /** A container of this pod exited (or a probe changed): sync again. */
  containerExited(id: string): void {
    // Also an instance this worker started whose record is not updated yet: a container that
    // exits at once can be reported between its start and the sync noting it.
    if (this.instances.has(id)) this.kick();
  }

  kick(): void {
    if (this.done) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    void this.loop();
  }

  /** The pod object is gone from the store (force deletion): stop everything now. */
  async forget(): Promise<void> {
    this.pod = { ...this.pod, metadata: { ...this.pod.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 0 } };
    this.kick();
  }

  /** Stops timers and probes and waits for a sync in progress; containers keep running. */
  async detach(): Promise<void> {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    const probers = [...this.probers.values()];
    this.probers.clear();
    await Promise.all([...probers.map((p) => p.stop()), this.inFlight]);
  }

  private loop(): Promise<void> {
    this.inFlight = this.runLoop();
    return this.inFlight;
  }

  private async runLoop(): Promise<void> {
    this.syncing = true;
    try {
      do {
        this.again = false;
        try {
          await this.sync();
        } catch (e) {
          this.log.warn('pod sync failed; retrying', { error: e as Error });
          this.wake(2000);
        }
      } while (this.again && !this.done);
    } finally {
      this.syncing = false;
    }
  }

  private wake(ms: number): void {
    const at = Date.now() + Math.max(0, ms);
    if (this.timer && this.wakeAt <= at && this.wakeAt > Date.now()) return;
    if (this.timer) clearTimeout(this.timer);
    this.wakeAt = at;
    this.timer = setTimeout(() => { this.timer = undefined; this.kick(); }, Math.max(0, ms) + 5);
  }

  private async sync(): Promise<void> {
    if (this.done) return;
    if (this.pod.metadata.deletionTimestamp) return this.terminate();
    this.startTime ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (!this.sandbox?.ready && !(await this.createSandbox())) return;
    await this.refresh();
    // Report Pending/ContainerCreating before a possibly slow image build or start.
    if (!this.lastStatus) await this.writeStatus();
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    let initDone = true;
    for (const c of this.pod.spec.initContainers ?? []) {
      const r = this.records.get(c.name)!;
      if (r.current?.state === 'exited' && r.current.exitCode === 0) continue;
      initDone = false;
      if (!r.current) await this.startContainer(c, r, 0);
      else if (wantsRestart(r, policy)) await this.restart(c, r);
      break;
    }
    if (initDone) {
      for (const c of this.pod.spec.containers) {
        const r = this.records.get(c.name)!;
        if (!r.current) await this.startContainer(c, r, 0);
        else if (r.current.state === 'running' && r.current.image !== c.image) await this.replace(c, r);
        else if (wantsRestart(r, policy)) await this.restart(c, r);
      }
    }
    await this.writeStatus();
  }

  /**
   * The sandbox (and its network). A failure is reported as the kubelet does
   * (FailedCreatePodSandBox with the network plugin's message) and retried with back-off; the
   * runtime's network step has already removed what it created.
   */
  private async createSandbox(): Promise<boolean> {
    if (Date.now() < this.sandboxRetryAt) {
      this.wake(this.sandboxRetryAt - Date.now());
      return false;
    }
    try {
      this.sandbox = await this.deps.runtime.createSandbox({
        podUid: this.uid,
        namespace: this.pod.metadata.namespace ?? 'default',
        name: this.pod.metadata.name!,
        hostname: this.pod.spec.hostNetwork ? hostname() : this.pod.spec.hostname ?? this.pod.metadata.name!,
        podDir: this.podDir,
        hostNetwork: !!this.pod.spec.hostNetwork,
        portMappings: hostPortMappings(this.pod),
      });
      this.sandboxBackoffMs = undefined;
      return true;
    } catch (e) {
      this.sandbox = undefined;
      this.sandboxBackoffMs = Math.min(this.sandboxBackoffMs === undefined ? 1000 : this.sandboxBackoffMs * 2, this.deps.backoff.maxMs);
      this.sandboxRetryAt = Date.now() + this.sandboxBackoffMs;
      this.log.warn('pod sandbox creation failed', { error: e as Error, retryInMs: this.sandboxBackoffMs });
      this.deps.events.record(this.pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
      if (!this.lastStatus) await this.writeStatus();
      this.wake(this.sandboxBackoffMs);
      return false;
    }
  }

  private async refresh(): Promise<void> {
    for (const r of this.records.values()) {
      if (!r.current || r.current.state === 'exited') continue;
      const s = await this.deps.runtime.containerStatus(r.current.id);
      if (!s) continue;
      r.current = s;
      if (s.state === 'exited') {
        void this.probers.get(s.id)?.stop();
        this.probers.delete(s.id);
        r.ready = false;
      }
    }
  }

  /** The image was changed (the only container field a pod update may change): restart on the new one. */
  private async replace(c: ContainerSpec, r: ContainerRecord): Promise<void> {
    const old = r.current!;
    this.deps.events.record(this.pod, 'Normal', 'Killing', `Container ${c.name} definition changed, will be restarted`, r);
    void this.probers.get(old.id)?.stop();
    this.probers.delete(old.id);
    await this.deps.runtime.stopContainer(old.id, this.pod.spec.terminationGracePeriodSeconds ?? 30);
    r.current = (await this.deps.runtime.containerStatus(old.id)) ?? old;
    await this.startContainer(c, r, old.attempt + 1);
  }

  private async restart(c: ContainerSpec, r: ContainerRecord): Promise<void> {
    const cur = r.current!;
    const finished = Date.parse(cur.finishedAt ?? new Date().toISOString());
    const ranFor = finished - Date.parse(cur.startedAt ?? cur.createdAt);
    const { initialMs, maxMs, resetAfterMs } = this.deps.backoff;
    if (ranFor >= resetAfterMs) r.backoffDelayMs = undefined;
    if (r.backoffDelayMs === undefined) {
      r.backoffDelayMs = initialMs;
    } else {
      const until = finished + r.backoffDelayMs;
      if (Date.now() < until) {
        const { name, namespace, uid } = this.pod.metadata;
        if (r.backoffUntil !== until) {
          r.backoffUntil = until;
          this.deps.events.record(this.pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${name}_${namespace}(${uid})`, r);
        }
        r.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${seconds(r.backoffDelayMs)} restarting failed container=${c.name} pod=${name}_${namespace}(${uid})` };
        this.wake(until - Date.now());
        return;
      }
      r.backoffDelayMs = Math.min(r.backoffDelayMs * 2, maxMs);
    }
    await this.startContainer(c, r, cur.attempt + 1);
  }

  private async startContainer(c: ContainerSpec, r: ContainerRecord, attempt: number): Promise<void> {
    const rt = this.deps.runtime;
    const events = this.deps.events;
    if (r.waiting && r.backoffUntil && Date.now() < r.backoffUntil && (r.waiting.reason === 'ErrImagePull' || r.waiting.reason === 'ImagePullBackOff' || r.waiting.reason === 'CreateContainerConfigError')) {
      if (r.waiting.reason === 'ErrImagePull') r.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` };
      this.wake(r.backoffUntil - Date.now());
      return;
    }
    const policy = (c.imagePullPolicy ?? defaultPullPolicy(c.image)) as PullPolicy;
    let imageRef: string;
    const began = Date.now();
    try {
      if (policy === 'Always') events.record(this.pod, 'Normal', 'Pulling', `Pulling image "${c.image}"`, r);
      imageRef = await rt.ensureImage(c.image, policy);
      events.record(this.pod, 'Normal', 'Pulled', policy === 'Always'
        ? `Successfully pulled image "${c.image}" in ${Date.now() - began}ms (${Date.now() - began}ms including waiting)`
        : `Container image "${c.image}" already present on machine`, r);
    } catch (e) {
      if (!(e instanceof ImageError)) throw e;
      r.waiting = { reason: e.reason, message: e.message };
      events.record(this.pod, 'Warning', 'Failed', e.reason === 'InvalidImageName' ? e.message : `Failed to pull image "${c.image}": ${e.message}`, r);
      events.record(this.pod, 'Warning', 'Failed', `Error: ${e.reason}`, r);
      this.backOffWaiting(r);
      return;
    }
    const sources = new PodSources(this.deps.store, this.pod.metadata.namespace ?? 'default');
    let config;
    try {
      const env = await resolveEnv(this.podWithIPs(), c, sources);
      const volumes = await prepareVolumes(this.pod, this.podDir, sources);
      config = {
        sandboxId: this.sandbox!.id,
        podUid: this.uid,
        name: c.name,
        attempt,
        image: c.image,
        command: expandCommand(c.command, env),
        args: expandCommand(c.args, env),
        env,
        workingDir: c.workingDir,
        mounts: containerMounts(c, volumes, this.pod),
        resources: containerResources(c),
        logPath: this.logPath(c.name, attempt),
        ...(c.stdin ? { stdin: true } : {}),
        ...(c.stdin && c.stdinOnce ? { stdinOnce: true } : {}),
        ...(c.tty ? { tty: true } : {}),
      };
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      r.waiting = { reason: 'CreateContainerConfigError', message: e.message };
      events.record(this.pod, 'Warning', 'Failed', `Error: ${e.message}`, r);
      this.backOffWaiting(r);
      return;
    }
    void imageRef;
    r.waiting = undefined;
    r.backoffUntil = undefined;
    const id = await rt.createContainer(config);
    this.instances.add(id);
    events.record(this.pod, 'Normal', 'Created', `Created container ${c.name}`, r);
    // Keep one previous instance (for lastState and logs --previous); older ones go.
    if (r.previous) {
      await rt.removeContainer(r.previous.id);
      this.instances.delete(r.previous.id);
      await rm(r.previous.logPath, { force: true });
    }
    r.previous = r.current;
    r.ready = false;
    r.started = false;
    try {
      await rt.startContainer(id);
      events.record(this.pod, 'Normal', 'Started', `Started container ${c.name}`, r);
    } catch (e) {
      events.record(this.pod, 'Warning', 'Failed', `Error: ${(e as Error).message}`, r);
    }
    r.current = await rt.containerStatus(id);
    if (r.current?.state === 'running') this.startProber(c, r, id);
  }

  /** Image and config errors retry with the container's back-off. */
  private backOffWaiting(r: ContainerRecord): void {
    const { initialMs, maxMs } = this.deps.backoff;
    r.backoffDelayMs = r.backoffDelayMs === undefined ? initialMs : Math.min(r.backoffDelayMs * 2, maxMs);
    r.backoffUntil = Date.now() + r.backoffDelayMs;
    if (r.waiting?.reason !== 'InvalidImageName') this.wake(r.backoffDelayMs);
  }

  private startProber(c: ContainerSpec, r: ContainerRecord, id: string): void {
    const prober = new ContainerProber(this.deps.runtime, c, id, this.sandbox?.id ?? r.current!.sandboxId, {
      started: () => { r.started = true; this.kick(); },
      ready: (ready) => { r.ready = ready; this.kick(); },
      failed: (kind, message) => this.deps.events.record(this.pod, 'Warning', 'Unhealthy', `${kind[0]!.toUpperCase()}${kind.slice(1)} probe failed: ${message}`, r),
      unhealthy: (kind) => {
        this.deps.events.record(this.pod, 'Normal', 'Killing', `Container ${c.name} failed ${kind} probe, will be restarted`, r);
        void this.deps.runtime.stopContainer(id, this.pod.spec.terminationGracePeriodSeconds ?? 30).then(() => this.kick());
      },
    });
    void this.probers.get(id)?.stop();
    this.probers.set(id, prober);
    prober.start();
  }

  logPath(container: string, attempt: number): string {
    return join(this.podDir, 'logs', container, `${attempt}.log`);
  }

  /** Host-network pods have the node's address; others the sandbox's, once the network plugin gives one. */
  private get podIP(): string | undefined {
    return this.pod.spec.hostNetwork ? this.deps.hostIP : this.sandbox?.ip;
  }

  private podWithIPs(): Pod {
    return { ...this.pod, status: { ...this.pod.status, hostIP: this.deps.hostIP, ...(this.podIP ? { podIP: this.podIP } : {}) } };
  }

  private async writeStatus(): Promise<void> {
    const status = computePodStatus({
      pod: this.pod,
      records: this.records,
      hostIP: this.deps.hostIP,
      podIP: this.podIP,
      startTime: this.startTime!,
      qosClass: qosClass(this.pod),
      now: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    const needsFinalizer = !(this.pod.metadata.finalizers ?? []).includes(NODE_AGENT_FINALIZER);
    const text = JSON.stringify(status);
    if (text === this.lastStatus && !needsFinalizer) return;
    try {
      const held = this.pod.metadata.resourceVersion;
      let base: string | undefined;
      const stored = await this.deps.store.guaranteedUpdate<Pod>(POD_RESOURCE, this.pod.metadata.namespace, this.pod.metadata.name!, (cur) => {
        base = cur.metadata.resourceVersion;
        if (cur.metadata.uid !== this.uid) return undefined;
        const next = structuredClone(cur) as Pod;
        next.status = mergeStatus(cur.status, status);
        const finalizers = next.metadata.finalizers ?? [];
        if (!cur.metadata.deletionTimestamp && !finalizers.includes(NODE_AGENT_FINALIZER)) next.metadata.finalizers = [...finalizers, NODE_AGENT_FINALIZER];
        return next;
      });
      this.lastStatus = text;
      if (status.phase === 'Running' && !this.reportedRunning) {
        this.reportedRunning = true;
        this.deps.started?.((Date.now() - this.seenAt) / 1000);
      }
      if (stored.metadata.uid === this.uid) {
        // Written over a version this worker had not seen (e.g. a user's deletion): the watch
        // event for it is older than `stored` and will be skipped, so sync once more now.
        if (base !== held) this.again = true;
        this.pod = stored;
      }
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
  }

  /** Graceful stop of every container, sandbox removal, then the pod object may go (finalizer removed). */
  private async terminate(): Promise<void> {
    const meta = this.pod.metadata;
    // The API server records the grace period (the pod's own unless the delete asked for another;
    // 0 only for `--force --grace-period=0`).
    const grace = meta.deletionGracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds ?? 30;
    for (const p of this.probers.values()) void p.stop();
    this.probers.clear();
    await Promise.all([...this.records.values()].map(async (r) => {
      if (r.current?.state !== 'running') return;
      this.deps.events.record(this.pod, 'Normal', 'Killing', `Stopping container ${r.name}`, r);
      await this.deps.runtime.stopContainer(r.current.id, grace);
    }));
    if (this.sandbox) await this.deps.runtime.removeSandbox(this.sandbox.id);
    await cleanupPodDir(this.pod, this.podDir);
    await rm(this.podDir, { recursive: true, force: true });
    try {
      await this.deps.store.guaranteedUpdate<Pod>(POD_RESOURCE, meta.namespace, meta.name!, (cur) => {
        if (cur.metadata.uid !== this.uid || !(cur.metadata.finalizers ?? []).includes(NODE_AGENT_FINALIZER)) return undefined;
        const next = structuredClone(cur) as Pod;
        next.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== NODE_AGENT_FINALIZER);
        return next;
      });
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.deps.gone(this.uid);
  }
}

/** resourceVersions are store revisions (integers, increasing); anything else counts as newer. */
export function isNewer(incoming: Pod, held: Pod): boolean {
  const a = incoming.metadata.resourceVersion;
  const b = held.metadata.resourceVersion;
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return a !== b || !a;
  return BigInt(a) > BigInt(b);
}
