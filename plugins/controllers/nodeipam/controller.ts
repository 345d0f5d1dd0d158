// Node IPAM (upstream's node-ipam-controller, range allocator): every Node gets `spec.podCIDR` and
// `spec.podCIDRs`, a subnet of the cluster CIDR that no other node has. The allocation map is
// rebuilt from the nodes' specs whenever the controller starts acting, so assignments survive
// restarts and leader changes; a deleted node's subnet is free again. One worker: allocations are
// decided one node at a time, so two nodes never pick the same subnet.
import { inject, injectable } from 'tsyringe';
import { Controller, type SyncResult } from '../../../kernel/controller/controller.js';
import type { Informer } from '../../../kernel/controller/informer.js';
import { cidrSize, formatCidr, parseCidr, subnetAt, subnetIndex, type Cidr } from '../../../kernel/net/ipv4.js';
import { isStatusError } from '../../../kernel/objects/status.js';
import type { KubeObject, ResourceKey } from '../../../kernel/objects/types.js';
import { Logger, MetricsRegistry, ObjectStore, PluginOptions } from '../../../kernel/tokens.js';
import type { NodeIpamOptions } from './setup.js';

export const NODES: ResourceKey = { group: '', resource: 'nodes', namespaced: false };

export interface IpamNode extends KubeObject {
  spec?: { podCIDR?: string; podCIDRs?: string[]; [k: string]: unknown };
}

/** Retry period while the cluster CIDR has no free subnet. */
const EXHAUSTED_RETRY_MS = 10_000;

@injectable()
export class NodeIpamController extends Controller {
  private readonly nodes: Informer<IpamNode>;
  private readonly cluster: Cidr;
  private readonly subnets: number;
  /** subnet index → node name, and back. */
  private readonly owners = new Map<number, string>();
  private readonly byNode = new Map<string, number>();
  /** Next index to try, so freed subnets are not handed out again at once. */
  private cursor = 0;
  /** Nodes already told that no range is left (one event per node until it gets one). */
  private readonly reportedExhausted = new Set<string>();

  constructor(
    @inject(ObjectStore) store: ObjectStore,
    @inject(Logger) logger: Logger,
    @inject(MetricsRegistry) metrics: MetricsRegistry,
    @inject(PluginOptions) private readonly ipam: NodeIpamOptions,
  ) {
    super('node-ipam', { store, logger: logger.child({ controller: 'node-ipam' }), metrics }, ipam);
    this.cluster = parseCidr(ipam.clusterCIDR)!;
    this.subnets = cidrSize(this.cluster) / 2 ** (32 - ipam.nodeCIDRMaskSize);
    this.nodes = this.informer<IpamNode>(NODES);
    this.nodes.addHandler({
      add: (n) => this.enqueue(n.metadata.name!),
      update: (o, n) => (o.spec?.podCIDR !== n.spec?.podCIDR ? this.enqueue(n.metadata.name!) : undefined),
      delete: (n) => this.enqueue(n.metadata.name!),
    });
  }

  /** Which node holds which subnet (tests and `describe`-like tooling). */
  allocations(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, index] of this.byNode) out.set(name, formatCidr(subnetAt(this.cluster, this.ipam.nodeCIDRMaskSize, index)));
    return out;
  }

  protected override async onSynced(): Promise<void> {
    this.owners.clear();
    this.byNode.clear();
    for (const node of this.nodes.list()) this.occupy(node);
  }

  /** Records a node's existing podCIDR; a conflicting or foreign one is left as the user set it. */
  private occupy(node: IpamNode): boolean {
    const text = node.spec?.podCIDR;
    const name = node.metadata.name!;
    if (!text) return false;
    const cidr = parseCidr(text);
    const index = cidr ? subnetIndex(this.cluster, cidr, this.ipam.nodeCIDRMaskSize) : undefined;
    if (index === undefined) {
      this.logger.info('node podCIDR is outside the cluster CIDR; left alone', { node: name, podCIDR: text, clusterCIDR: this.ipam.clusterCIDR });
      return true;
    }
    const owner = this.owners.get(index);
    if (owner !== undefined && owner !== name) {
      this.logger.warn('two nodes claim the same podCIDR', { node: name, other: owner, podCIDR: text });
      return true;
    }
    this.owners.set(index, name);
    this.byNode.set(name, index);
    return true;
  }

  private release(name: string): void {
    const index = this.byNode.get(name);
    if (index === undefined) return;
    this.byNode.delete(name);
    if (this.owners.get(index) === name) this.owners.delete(index);
    this.reportedExhausted.delete(name);
  }

  private nextFree(): number | undefined {
    for (let i = 0; i < this.subnets; i++) {
      const index = (this.cursor + i) % this.subnets;
      if (!this.owners.has(index)) {
        this.cursor = (index + 1) % this.subnets;
        return index;
      }
    }
    return undefined;
  }

  protected async sync(name: string): Promise<SyncResult | void> {
    const node = this.nodes.get(undefined, name);
    if (!node) return this.release(name);
    if (this.occupy(node)) return;
    // A node that lost its podCIDR (spec edited) gives its old subnet back first.
    this.release(name);
    const index = this.nextFree();
    if (index === undefined) {
      if (!this.reportedExhausted.has(name)) {
        this.reportedExhausted.add(name);
        this.events.record(node, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
        this.logger.warn('no pod CIDR left for node', { node: name, clusterCIDR: this.ipam.clusterCIDR, nodeCIDRMaskSize: this.ipam.nodeCIDRMaskSize });
      }
      return { requeueAfterMs: EXHAUSTED_RETRY_MS };
    }
    const podCIDR = formatCidr(subnetAt(this.cluster, this.ipam.nodeCIDRMaskSize, index));
    this.owners.set(index, name);
    this.byNode.set(name, index);
    try {
      const stored = await this.store.guaranteedUpdate<IpamNode>(NODES, undefined, name, (cur) => {
        if (cur.metadata.uid !== node.metadata.uid || cur.spec?.podCIDR) return undefined;
        return { ...cur, spec: { ...(cur.spec ?? {}), podCIDR, podCIDRs: [podCIDR] } };
      });
      if (stored.spec?.podCIDR !== podCIDR) {
        // Someone else set it meanwhile: record theirs instead of ours.
        this.release(name);
        this.occupy(stored);
      }
    } catch (e) {
      this.release(name);
      if (isStatusError(e, 'NotFound')) return;
      throw e;
    }
    this.reportedExhausted.delete(name);
    this.logger.info('assigned pod CIDR', { node: name, podCIDR });
  }
}
