// The garbage collector: a graph of ownerReferences over every resource type, fed by informers.
// Dependents whose owners are all gone are deleted (background); owners with the `orphan`
// finalizer get their dependents' references removed; owners with `foregroundDeletion` wait
// until their blocking dependents are deleted. Queue keys are object uids.
import { inject, injectable } from 'tsyringe';
import { Controller, type ControllerOptions, type SyncResult } from '../../../kernel/controller/controller.js';
import type { Informer } from '../../../kernel/controller/informer.js';
import { isStatusError } from '../../../kernel/objects/status.js';
import { ResourceRegistry, type ResourceType } from '../../../kernel/objects/registry.js';
import type { KubeObject, OwnerReference } from '../../../kernel/objects/types.js';
import { Logger, MetricsRegistry, ObjectStore, PluginOptions } from '../../../kernel/tokens.js';

export const ORPHAN = 'orphan';
export const FOREGROUND = 'foregroundDeletion';

interface Node {
  type: ResourceType;
  namespace?: string;
  name: string;
  owners: OwnerReference[];
}

type OwnerState = 'solid' | 'waiting' | 'dangling' | 'unknown';

@injectable()
export class GarbageCollector extends Controller {
  private readonly byType = new Map<ResourceType, Informer<KubeObject>>();
  private readonly nodes = new Map<string, Node>();
  private readonly dependents = new Map<string, Set<string>>();
  private readonly registry = new ResourceRegistry();

  constructor(
    @inject(ObjectStore) store: ObjectStore,
    @inject(Logger) logger: Logger,
    @inject(MetricsRegistry) metrics: MetricsRegistry,
    @inject(PluginOptions) options: ControllerOptions,
  ) {
    super('garbage-collector', { store, logger: logger.child({ controller: 'garbage-collector' }), metrics }, options);
    for (const type of this.registry.all()) {
      if (!['list', 'watch', 'delete'].every((v) => type.verbs.includes(v as never))) continue;
      const inf = this.informer<KubeObject>(type);
      this.byType.set(type, inf);
      inf.addHandler({
        add: (o) => this.observe(type, o, undefined),
        update: (old, o) => this.observe(type, o, old),
        delete: (o) => this.forgetNode(o),
      });
    }
  }

  private observe(type: ResourceType, obj: KubeObject, old: KubeObject | undefined): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const prev = this.nodes.get(uid);
    for (const ref of prev?.owners ?? []) this.dependents.get(ref.uid)?.delete(uid);
    const owners = obj.metadata.ownerReferences ?? [];
    this.nodes.set(uid, { type, namespace: obj.metadata.namespace, name: obj.metadata.name ?? '', owners });
    for (const ref of owners) {
      let set = this.dependents.get(ref.uid);
      if (!set) this.dependents.set(ref.uid, (set = new Set()));
      set.add(uid);
    }
    if (owners.length > 0 || this.hasDeletionFinalizer(obj)) this.queue.add(uid);
    // Owners that lost this dependent may be waiting for it (foreground).
    for (const ref of old?.metadata.ownerReferences ?? []) if (!owners.some((r) => r.uid === ref.uid)) this.queue.add(ref.uid);
  }

  private forgetNode(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const node = this.nodes.get(uid);
    this.nodes.delete(uid);
    for (const ref of node?.owners ?? []) {
      this.dependents.get(ref.uid)?.delete(uid);
      this.queue.add(ref.uid);
    }
    for (const dep of this.dependents.get(uid) ?? []) this.queue.add(dep);
  }

  private hasDeletionFinalizer(obj: KubeObject): boolean {
    return Boolean(obj.metadata.deletionTimestamp) && (obj.metadata.finalizers ?? []).some((f) => f === ORPHAN || f === FOREGROUND);
  }

  private current(uid: string): { node: Node; obj: KubeObject } | undefined {
    const node = this.nodes.get(uid);
    if (!node) return undefined;
    const obj = this.byType.get(node.type)?.get(node.namespace, node.name);
    return obj && obj.metadata.uid === uid ? { node, obj } : undefined;
  }

  protected async sync(uid: string): Promise<SyncResult | void> {
    const found = this.current(uid);
    if (!found) return;
    const { node, obj } = found;
    if (obj.metadata.deletionTimestamp) {
      const finalizers = obj.metadata.finalizers ?? [];
      if (finalizers.includes(ORPHAN)) return this.orphanDependents(node, obj);
      if (finalizers.includes(FOREGROUND)) return this.foreground(node, obj);
      return;
    }
    if (node.owners.length === 0) return;
    const states = await Promise.all(node.owners.map((ref) => this.ownerState(node, ref)));
    if (states.includes('unknown')) return;
    const solid = states.some((s) => s === 'solid');
    if (solid) {
      const drop = node.owners.filter((_r, i) => states[i] === 'dangling' || states[i] === 'waiting').map((r) => r.uid);
      if (drop.length > 0) await this.removeOwnerRefs(node, uid, drop);
      return;
    }
    const waiting = states.includes('waiting');
    const hasDependents = (this.dependents.get(uid)?.size ?? 0) > 0;
    try {
      await this.store.delete(node.type, node.namespace, node.name, {
        preconditions: { uid },
        ...(waiting && hasDependents ? { addFinalizers: [FOREGROUND] } : {}),
      });
    } catch (e) {
      if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
    }
  }

  /** Is the owner there (solid), being deleted in the foreground (waiting), or gone (dangling)? */
  private async ownerState(dependent: Node, ref: OwnerReference): Promise<OwnerState> {
    const slash = ref.apiVersion.indexOf('/');
    const type = this.registry.byKind(slash < 0 ? '' : ref.apiVersion.slice(0, slash), ref.kind);
    if (!type) return 'unknown';
    const namespace = type.namespaced ? dependent.namespace : undefined;
    let owner = this.current(ref.uid)?.obj;
    if (!owner) {
      // Not in the graph: confirm with a live read (the owner may be newer than our cache).
      try {
        owner = await this.store.get(type, namespace, ref.name);
      } catch (e) {
        if (isStatusError(e, 'NotFound')) return 'dangling';
        throw e;
      }
      if (owner.metadata.uid !== ref.uid) return 'dangling';
    }
    if (owner.metadata.deletionTimestamp && (owner.metadata.finalizers ?? []).includes(FOREGROUND)) return 'waiting';
    return 'solid';
  }

  private async removeOwnerRefs(node: Node, uid: string, ownerUids: string[]): Promise<void> {
    try {
      await this.store.guaranteedUpdate<KubeObject>(node.type, node.namespace, node.name, (cur) => {
        if (cur.metadata.uid !== uid) return undefined;
        const refs = (cur.metadata.ownerReferences ?? []).filter((r) => !ownerUids.includes(r.uid));
        if (refs.length === (cur.metadata.ownerReferences ?? []).length) return undefined;
        const next = { ...cur, metadata: { ...cur.metadata } };
        if (refs.length > 0) next.metadata.ownerReferences = refs;
        else delete next.metadata.ownerReferences;
        return next;
      });
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
  }

  private async removeFinalizer(node: Node, uid: string, finalizer: string): Promise<void> {
    try {
      await this.store.guaranteedUpdate<KubeObject>(node.type, node.namespace, node.name, (cur) => {
        if (cur.metadata.uid !== uid || !(cur.metadata.finalizers ?? []).includes(finalizer)) return undefined;
        return { ...cur, metadata: { ...cur.metadata, finalizers: cur.metadata.finalizers!.filter((f) => f !== finalizer) } };
      });
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
  }

  private async orphanDependents(node: Node, owner: KubeObject): Promise<void> {
    const uid = owner.metadata.uid!;
    for (const dep of [...(this.dependents.get(uid) ?? [])]) {
      const d = this.nodes.get(dep);
      if (d) await this.removeOwnerRefs(d, dep, [uid]);
    }
    await this.removeFinalizer(node, uid, ORPHAN);
  }

  private async foreground(node: Node, owner: KubeObject): Promise<SyncResult | void> {
    const uid = owner.metadata.uid!;
    let blocking = 0;
    for (const dep of this.dependents.get(uid) ?? []) {
      const d = this.nodes.get(dep);
      if (!d) continue;
      if (d.owners.some((r) => r.uid === uid && r.blockOwnerDeletion)) blocking++;
      this.queue.add(dep);
    }
    if (blocking === 0) await this.removeFinalizer(node, uid, FOREGROUND);
  }
}
