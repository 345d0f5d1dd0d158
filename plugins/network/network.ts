// The pod network of one node over CNI: decides the configuration list (configured, or the default
// built from the Node's spec.podCIDR once the node IPAM controller has assigned it), keeps the
// network's readiness (VERSION/STATUS of the list), and attaches/detaches pod sandboxes.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../kernel/log.js';
import { isStatusError } from '../../kernel/objects/status.js';
import type { KubeObject, ResourceKey } from '../../kernel/objects/types.js';
import type { ObjectStore } from '../../kernel/store/types.js';
import { CniError, type InProcessPlugin } from './cni-exec.js';
import { CniHost, resultIPs, type Attachment } from './cni-host.js';
import { ConfListError, defaultConfList, loadConfList, type ConfList } from './conflist.js';
import { PodNetworkError, type NetworkPluginInstance, type NetworkReadiness, type PodAttachment, type PodNetworkResult } from './contract.js';
import type { NetworkOptions } from './setup.js';

const NODES: ResourceKey = { group: '', resource: 'nodes', namespaced: false };
const IF_NAME = 'eth0';
const execFileAsync = promisify(execFile);

export class CniNetwork implements NetworkPluginInstance {
  readonly host: CniHost;
  private conf?: ConfList;
  private readonly inProcess = new Map<string, InProcessPlugin>();
  private state: NetworkReadiness = { ready: false, reason: 'NetworkPluginNotReady', message: 'network plugin is starting' };
  private readonly listeners: Array<() => void> = [];
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private checking?: Promise<void>;
  private conditionWritten = false;

  constructor(private readonly options: NetworkOptions, private readonly store: ObjectStore | undefined, private readonly logger: Logger) {
    this.host = new CniHost({ cniPath: options.cniPath, cacheDir: join(options.nodeDir, 'cni', 'results'), timeoutMs: options.pluginTimeoutSeconds * 1000, logger, inProcess: this.inProcess });
  }

  /** The list in use (after readiness succeeded once). */
  get confList(): ConfList | undefined {
    return this.conf;
  }

  async start(): Promise<void> {
    this.stopped = false;
    if (this.options.flavour === 'kite' && this.options.confList === undefined) await this.installKiteBridge();
    await this.refresh();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.checking;
    // The default list's bridge goes with the last pod (pods outlive the agent and keep it otherwise).
    if (this.options.confList === undefined && (await this.host.listCached()).length === 0) {
      await execFileAsync('ip', ['link', 'del', this.options.bridge]).catch(() => undefined);
    }
  }

  /**
   * Kite's own CNI plugin is an executable like any vendor's: its installer (plugins/cni-kite, the
   * API its README documents) writes it into the node's CNI bin directory, searched first.
   */
  private async installKiteBridge(): Promise<void> {
    const dir = join(this.options.nodeDir, 'cni', 'bin');
    const { installCniBinaries } = (await import('../cni-kite/index.js')) as { installCniBinaries(dir: string): string };
    const binary = installCniBinaries(dir);
    // The same code runs in this process when the search finds this binary: a Node start-up per
    // pod was most of kite-bridge's ADD time (npm run bench network). Other hosts exec it.
    const { runCni } = await import('../cni-kite/main.js');
    this.inProcess.set(binary, (env, stdin) => runCni(env, stdin));
    if (!this.options.cniPath.includes(dir)) this.options.cniPath.unshift(dir);
  }

  private schedule(): void {
    if (this.stopped) return;
    // Waiting for the node's pod CIDR: look often; afterwards at the configured period.
    const ms = this.state.ready && this.conditionWritten ? this.options.statusCheckSeconds * 1000 : Math.min(1000, this.options.statusCheckSeconds * 1000);
    this.timer = setTimeout(() => void this.refresh().finally(() => this.schedule()), ms);
    this.timer.unref?.();
  }

  /** Re-reads the configuration and asks the plugins whether they are ready. */
  refresh(): Promise<void> {
    this.checking ??= this.evaluate().finally(() => { this.checking = undefined; });
    return this.checking;
  }

  private async evaluate(): Promise<void> {
    let next: NetworkReadiness;
    try {
      const conf = await this.resolveConfList();
      await this.host.status(conf);
      this.conf = conf;
      next = { ready: true, reason: 'NetworkReady', message: `CNI network "${conf.name}" (${conf.plugins.map((p) => p.type).join(', ')}) is ready` };
    } catch (e) {
      const message = e instanceof ConfListError || e instanceof CniError || e instanceof PodNetworkError ? e.message : `network check failed: ${(e as Error).message}`;
      next = { ready: false, reason: 'NetworkPluginNotReady', message };
    }
    const changed = next.ready !== this.state.ready || next.message !== this.state.message;
    this.state = next;
    if (changed) {
      this.conditionWritten = false;
      this.logger.info(next.ready ? 'pod network ready' : 'pod network not ready', { message: next.message });
      for (const l of this.listeners) l();
    }
    if (!this.conditionWritten) this.conditionWritten = await this.writeCondition();
  }

  /**
   * NetworkUnavailable on the Node, as network providers report it upstream: False once the pod
   * network works, True with the reason while the configuration is missing or broken.
   */
  private async writeCondition(): Promise<boolean> {
    if (!this.store) return true;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const unavailable = this.state.ready ? 'False' : 'True';
    const condition = {
      type: 'NetworkUnavailable',
      status: unavailable,
      reason: this.state.ready ? 'NetworkReady' : this.state.reason,
      message: this.state.message,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    };
    try {
      await this.store.guaranteedUpdate<KubeObject & { status?: { conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }> } }>(NODES, undefined, this.options.nodeName, (cur) => {
        const conditions = [...(cur.status?.conditions ?? [])];
        const i = conditions.findIndex((c) => c.type === 'NetworkUnavailable');
        const before = i >= 0 ? conditions[i] : undefined;
        const next = { ...condition, lastTransitionTime: before?.status === unavailable && before.lastTransitionTime ? before.lastTransitionTime : now };
        if (i >= 0) conditions[i] = next;
        else conditions.push(next);
        return { ...cur, status: { ...(cur.status ?? {}), conditions } };
      });
      return true;
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) this.logger.warn('cannot write the NetworkUnavailable condition', { error: e as Error });
      return false;
    }
  }

  private async resolveConfList(): Promise<ConfList> {
    if (this.options.confList !== undefined) return loadConfList(this.options.confList);
    const podCIDR = await this.nodePodCIDR();
    if (!podCIDR) throw new PodNetworkError(`waiting for the node IPAM controller to assign spec.podCIDR to node ${this.options.nodeName}`);
    return defaultConfList({ podCIDR, bridge: this.options.bridge, ipamDataDir: join(this.options.nodeDir, 'cni', 'networks'), flavour: this.options.flavour });
  }

  private async nodePodCIDR(): Promise<string | undefined> {
    if (!this.store) return undefined;
    try {
      const node = await this.store.get<KubeObject & { spec?: { podCIDR?: string } }>(NODES, undefined, this.options.nodeName);
      return node.spec?.podCIDR;
    } catch (e) {
      if (isStatusError(e, 'NotFound')) return undefined;
      throw e;
    }
  }

  readiness(): NetworkReadiness {
    return this.state;
  }

  onReadinessChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async setUp(pod: PodAttachment): Promise<PodNetworkResult> {
    const cached = await this.host.cached(pod.sandboxId, IF_NAME);
    if (cached && cached.attachment.netns === pod.netnsPath) return { ips: resultIPs(cached.result, IF_NAME) };
    // Same sandbox id in a new namespace (the holder was restarted): release the old attachment first.
    if (cached) await this.tearDown(pod.sandboxId);
    if (!this.state.ready || !this.conf) {
      await this.refresh();
      if (!this.state.ready || !this.conf) throw new PodNetworkError(`network is not ready: ${this.state.message}`);
    }
    const att: Attachment = {
      containerId: pod.sandboxId,
      netns: pod.netnsPath,
      ifName: IF_NAME,
      args: { IgnoreUnknown: 'true', K8S_POD_NAMESPACE: pod.namespace, K8S_POD_NAME: pod.name, K8S_POD_INFRA_CONTAINER_ID: pod.sandboxId, K8S_POD_UID: pod.podUid },
      runtimeConfig: pod.portMappings && pod.portMappings.length > 0 ? { portMappings: pod.portMappings } : {},
    };
    try {
      const result = await this.host.add(this.conf, att);
      const ips = resultIPs(result, IF_NAME);
      if (ips.length === 0) {
        await this.host.del(pod.sandboxId).catch(() => undefined);
        throw new PodNetworkError(`CNI network "${this.conf.name}" returned no IP address for ${IF_NAME}`);
      }
      return { ips };
    } catch (e) {
      if (e instanceof CniError) throw new PodNetworkError(e.message);
      throw e;
    }
  }

  async attached(sandboxId: string): Promise<PodNetworkResult | undefined> {
    const cached = await this.host.cached(sandboxId, IF_NAME);
    return cached ? { ips: resultIPs(cached.result, IF_NAME) } : undefined;
  }

  async tearDown(sandboxId: string): Promise<void> {
    try {
      await this.host.del(sandboxId, undefined, IF_NAME);
    } catch (e) {
      if (e instanceof CniError) throw new PodNetworkError(e.message);
      throw e;
    }
  }

  async check(sandboxId: string): Promise<void> {
    try {
      await this.host.check(sandboxId, IF_NAME);
    } catch (e) {
      if (e instanceof CniError) throw new PodNetworkError(e.message);
      throw e;
    }
  }

  async garbageCollect(keep: string[], madeBefore = Date.now()): Promise<void> {
    const keepSet = new Set(keep);
    for (const entry of await this.host.listCached()) {
      if (entry.madeAt >= madeBefore) keepSet.add(entry.attachment.containerId);
      if (keepSet.has(entry.attachment.containerId)) continue;
      this.logger.info('removing the network of a sandbox that no longer exists', { sandbox: entry.attachment.containerId });
      await this.host.del(entry.attachment.containerId, undefined, entry.attachment.ifName).catch((e: unknown) =>
        this.logger.warn('CNI DEL of a stale attachment failed', { sandbox: entry.attachment.containerId, error: e as Error }));
    }
    if (this.conf) await this.host.gc(this.conf, [...keepSet].map((containerId) => ({ containerId, ifName: IF_NAME })));
  }
}
