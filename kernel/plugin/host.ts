// The plugin host: loads the plugins a KernelConfiguration enables, checks their metadata and
// dependencies, starts them in dependency order (stops in reverse), restarts failed ones with
// exponential backoff without touching the others, and reports their statuses.
import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import { subjects, type Bus, type BusSubscription } from '../bus/types.js';
import type { Logger } from '../log.js';
import type { ObjectStore } from '../store/types.js';
import { entryLabel, KernelConfigError, type KernelConfiguration, type PluginEntry } from './config.js';
import { errorMessage, importManifest, unavailableStore, validateOptions, type PluginServices } from './load.js';
import { pluginHostMetrics, type PluginHostMetrics } from './metrics.js';
import { launchInProcess, launchOutOfProcess, type RunningInstance } from './placement.js';
import type { PluginManifest, PluginState, PluginStatus } from './types.js';

export interface PluginHostOptions {
  config: KernelConfiguration;
  /** Kernel services handed to in-process plugins; worker/process plugins connect their own. */
  bus: Bus;
  /** Omitted: in-process plugins get a store that answers 503 ServiceUnavailable. */
  store?: ObjectStore;
  metrics: Registry;
  logger: Logger;
  /** NATS URLs given to worker/process plugins (and to every plugin through PluginContext). */
  natsServers: string[];
  dataDir: string;
  /** Restart delay after a failure: initialMs doubling up to maxMs (defaults 1 s → 30 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** How long stop() waits for a plugin (and its thread or child) before terminating it; default 5 s. */
  stopGraceMs?: number;
  /** A start() (including worker/process boot) taking longer counts as a failed start; default 60 s. */
  startTimeoutMs?: number;
  /** The compiled runner module; default runner.js beside this module. */
  runnerPath?: string;
  /** Answer `kite.kernel.plugins` requests with the statuses; default true. */
  serveStatuses?: boolean;
}

/** PluginStatus plus the manifest's own name (the entry name is the instance name). */
export interface PluginInstanceStatus extends PluginStatus {
  plugin: string;
  dependencies: string[];
}

const DEFAULT_BACKOFF = { initialMs: 1000, maxMs: 30_000 };
const DEFAULT_STOP_GRACE_MS = 5000;
const DEFAULT_START_TIMEOUT_MS = 60_000;

/** One configured plugin instance and its lifecycle. Transitions run one at a time, in order. */
class HostedPlugin {
  state: PluginState = 'pending';
  since = new Date();
  restarts = 0;
  lastError?: string;
  /** Resolves after the first start attempt settled (either way): dependents wait for it. */
  firstAttempt?: Promise<void>;
  dependsOn: HostedPlugin[] = [];
  dependents: HostedPlugin[] = [];
  private instance?: RunningInstance;
  private runningSince = 0;
  private consecutiveFailures = 0;
  private restartTimer?: NodeJS.Timeout;
  private transitions: Promise<void> = Promise.resolve();
  private stopping = false;
  private startAbort?: AbortController;

  constructor(
    readonly entry: PluginEntry,
    readonly manifest: PluginManifest,
    private readonly host: HostContext,
  ) {
    // Publish every label set from the start, so dashboards see 0 rather than nothing.
    host.metrics.up.set({ plugin: entry.name }, 0);
    host.metrics.restarts.inc({ plugin: entry.name }, 0);
  }

  get describeEntry(): string {
    return entryLabel(this.host.config.source, this.entry);
  }

  start(): Promise<void> {
    return this.enqueue(() => this.attempt());
  }

  stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.startAbort?.abort(new Error('the plugin host is stopping'));
    return this.enqueue(async () => {
      if (this.instance) this.setState('stopping');
      await this.stopInstance();
      this.setState('stopped');
    });
  }

  status(): PluginInstanceStatus {
    return {
      name: this.entry.name,
      plugin: this.manifest.name,
      kind: this.manifest.kind,
      version: this.manifest.version,
      module: this.entry.module,
      placement: this.entry.placement,
      state: this.state,
      restarts: this.restarts,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      since: this.since.toISOString(),
      dependencies: this.dependsOn.map((d) => d.entry.name),
    };
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    this.transitions = this.transitions.then(op, op);
    return this.transitions;
  }

  private setState(state: PluginState): void {
    this.state = state;
    this.since = new Date();
    this.host.metrics.up.set({ plugin: this.entry.name }, state === 'running' ? 1 : 0);
  }

  private async attempt(): Promise<void> {
    if (this.stopping) return;
    this.setState('starting');
    const endTimer = this.host.metrics.startDuration.startTimer({ plugin: this.entry.name });
    const onFailure = (err: Error) => void this.enqueue(() => this.failed(err, true));
    const abort = (this.startAbort = new AbortController());
    const timeoutMs = this.host.startTimeoutMs;
    const timer = setTimeout(() => abort.abort(new Error(`start did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
    try {
      this.instance = await this.host.launch(this, onFailure, abort.signal);
    } catch (err) {
      await this.failed(err, false);
      return;
    } finally {
      clearTimeout(timer);
      this.startAbort = undefined;
    }
    endTimer();
    this.runningSince = Date.now();
    this.setState('running');
    this.host.logger.info('plugin started', { plugin: this.entry.name, placement: this.entry.placement });
  }

  /** Logs, releases a running instance, and schedules the restart. */
  private async failed(err: unknown, whileRunning: boolean): Promise<void> {
    if (this.stopping) return;
    this.lastError = errorMessage(err);
    this.setState('failed');
    this.host.logger.error(whileRunning ? 'plugin failed' : 'plugin failed to start', { plugin: this.entry.name, error: this.lastError });
    await this.stopInstance();
    // A plugin that ran for longer than the longest delay counts as healthy again.
    if (whileRunning && Date.now() - this.runningSince >= this.host.backoff.maxMs) this.consecutiveFailures = 0;
    this.consecutiveFailures++;
    const delay = backoffDelay(this.consecutiveFailures, this.host.backoff);
    this.setState('backoff');
    this.restartTimer = setTimeout(() => {
      this.restarts++;
      this.host.metrics.restarts.inc({ plugin: this.entry.name });
      void this.enqueue(() => this.attempt());
    }, delay);
  }

  private async stopInstance(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    await instance?.stop().catch((err: unknown) => this.host.logger.warn('plugin stop failed', { plugin: this.entry.name, error: errorMessage(err) }));
  }
}

/** What a HostedPlugin needs from its host. */
interface HostContext {
  config: KernelConfiguration;
  logger: Logger;
  metrics: PluginHostMetrics;
  backoff: { initialMs: number; maxMs: number };
  startTimeoutMs: number;
  launch(plugin: HostedPlugin, onFailure: (err: Error) => void, signal: AbortSignal): Promise<RunningInstance>;
}

export class PluginHost {
  private plugins: HostedPlugin[] = [];
  private loaded = false;
  private stopped = false;
  private statusService?: BusSubscription;
  private readonly logger: Logger;
  private readonly context: HostContext;
  private readonly services: PluginServices;
  private readonly stopGraceMs: number;
  private readonly runnerPath: string;

  constructor(private readonly opts: PluginHostOptions) {
    this.logger = opts.logger.child({ component: 'plugin-host' });
    this.stopGraceMs = opts.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    this.runnerPath = opts.runnerPath ?? fileURLToPath(new URL('./runner.js', import.meta.url));
    this.services = {
      bus: opts.bus,
      store: opts.store ?? unavailableStore('the kernel was started without one'),
      metrics: opts.metrics,
      logger: opts.logger,
    };
    this.context = {
      config: opts.config,
      logger: this.logger,
      metrics: pluginHostMetrics(opts.metrics),
      backoff: { ...DEFAULT_BACKOFF, ...opts.backoff },
      startTimeoutMs: opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      launch: (plugin, onFailure, signal) => this.launch(plugin, onFailure, signal),
    };
  }

  /**
   * Imports every enabled plugin module, checks its manifest and options, its dependencies and
   * that they form no cycle. Throws KernelConfigError naming the entry; starts nothing.
   */
  async load(): Promise<void> {
    if (this.loaded) return;
    const { config } = this.opts;
    const plugins: HostedPlugin[] = [];
    for (const entry of config.plugins.filter((e) => e.enabled)) {
      const describeEntry = entryLabel(config.source, entry);
      const manifest = await importManifest(entry.resolvedModule, describeEntry, entry.module);
      validateOptions(manifest, entry.options, describeEntry);
      plugins.push(new HostedPlugin(entry, manifest, this.context));
    }
    for (const plugin of plugins) {
      for (const dep of plugin.manifest.dependencies ?? []) {
        const targets = dependencyTargets(plugins, dep);
        if (targets.length === 0) {
          throw new KernelConfigError(`plugin ${JSON.stringify(plugin.entry.name)} depends on ${JSON.stringify(dep)}, which is not enabled in ${config.source}`);
        }
        for (const target of targets) {
          if (target === plugin) throw new KernelConfigError(`plugin ${JSON.stringify(plugin.entry.name)} depends on itself (${config.source})`);
          plugin.dependsOn.push(target);
          target.dependents.push(plugin);
        }
      }
    }
    this.plugins = dependencyOrder(plugins, config.source);
    this.loaded = true;
  }

  /**
   * Loads, then starts every plugin once its dependencies had their first start attempt.
   * Resolves when every plugin had one attempt; failed ones keep restarting with backoff.
   * Dependents of a failed plugin are started anyway: plugins must cope with a missing peer
   * (the store and bus make that natural: they wait for objects or get "no responder").
   */
  async start(): Promise<void> {
    if (this.stopped) throw new Error('a stopped PluginHost cannot start again; create a new one');
    await this.load();
    if (this.opts.serveStatuses !== false) {
      this.statusService = this.opts.bus.serve(subjects.kernelPlugins, () => this.statuses());
    }
    for (const plugin of this.plugins) {
      plugin.firstAttempt = Promise.all(plugin.dependsOn.map((d) => d.firstAttempt)).then(() => plugin.start());
    }
    await Promise.all(this.plugins.map((p) => p.firstAttempt));
  }

  /** Stops every plugin after the plugins depending on it stopped; cancels pending restarts. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.statusService?.unsubscribe();
    this.statusService = undefined;
    const stopped = new Map<HostedPlugin, Promise<void>>();
    for (const plugin of [...this.plugins].reverse()) {
      stopped.set(plugin, Promise.all(plugin.dependents.map((d) => stopped.get(d))).then(() => plugin.stop()));
    }
    await Promise.all(stopped.values());
  }

  statuses(): PluginInstanceStatus[] {
    return this.plugins.map((p) => p.status());
  }

  private launch(plugin: HostedPlugin, onFailure: (err: Error) => void, signal: AbortSignal): Promise<RunningInstance> {
    const { entry } = plugin;
    const common = { name: entry.name, natsServers: this.opts.natsServers, dataDir: this.opts.dataDir, stopGraceMs: this.stopGraceMs };
    if (entry.placement === 'inProcess') {
      const options = validateOptions(plugin.manifest, entry.options, plugin.describeEntry);
      return launchInProcess({ ...common, placement: 'inProcess', manifest: plugin.manifest, options, services: this.services, logger: this.logger }, onFailure, signal);
    }
    return launchOutOfProcess(
      this.runnerPath,
      { ...common, placement: entry.placement, module: entry.module, resolvedModule: entry.resolvedModule, describeEntry: plugin.describeEntry, options: entry.options, ...(entry.netns ? { netns: entry.netns } : {}) },
      onFailure,
      signal,
    );
  }
}

/** The wait before the restart after the n-th consecutive failure: initialMs doubling, at most maxMs. */
export function backoffDelay(consecutiveFailures: number, backoff: { initialMs: number; maxMs: number }): number {
  return Math.min(backoff.initialMs * 2 ** Math.max(0, consecutiveFailures - 1), backoff.maxMs);
}

/** Entries named `dep`; failing that, entries whose manifest is named `dep` (a vendor's renamed instance). */
function dependencyTargets(plugins: HostedPlugin[], dep: string): HostedPlugin[] {
  const byEntry = plugins.filter((p) => p.entry.name === dep);
  return byEntry.length > 0 ? byEntry : plugins.filter((p) => p.manifest.name === dep);
}

/** Dependencies first, otherwise in file order; a cycle is refused with its path. */
function dependencyOrder(plugins: HostedPlugin[], source: string): HostedPlugin[] {
  const ordered: HostedPlugin[] = [];
  const done = new Set<HostedPlugin>();
  const path: HostedPlugin[] = [];
  const visit = (p: HostedPlugin) => {
    if (done.has(p)) return;
    if (path.includes(p)) {
      const cycle = [...path.slice(path.indexOf(p)), p].map((x) => x.entry.name).join(' → ');
      throw new KernelConfigError(`plugins depend on each other in a cycle: ${cycle} (${source})`);
    }
    path.push(p);
    p.dependsOn.forEach(visit);
    path.pop();
    done.add(p);
    ordered.push(p);
  };
  plugins.forEach(visit);
  return ordered;
}
