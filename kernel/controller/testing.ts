// A "hollow kubelet" for tests and benchmarks: marks pods Running and Ready after a delay,
// without containers, so workload controllers can be exercised end to end.
import type { KubeObject, ResourceKey } from '../objects/types.js';
import { isStatusError } from '../objects/status.js';
import type { ObjectStore } from '../store/types.js';
import { Informer } from './informer.js';
import { nowTime, type PodLike } from './pods.js';

const PODS: ResourceKey = { group: '', resource: 'pods', namespaced: true };

export interface HollowKubeletOptions {
  /** Delay from seeing a pod to marking it Ready. */
  readyDelayMs?: number;
  /** Which pods to run; default: pods with spec.nodeName. */
  selects?: (pod: PodLike) => boolean;
  /** Pods to run to completion instead of keeping Running (e.g. Job pods): their final phase. */
  finish?: (pod: PodLike) => 'Succeeded' | 'Failed' | undefined;
}

export class HollowKubelet {
  private readonly pods: Informer<PodLike>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly started = new Set<string>();
  private stopped = false;
  /** Pods this kubelet marked Ready. */
  readyCount = 0;
  private nextIp = 1;

  constructor(private readonly store: ObjectStore, private readonly options: HollowKubeletOptions = {}) {
    this.pods = new Informer<PodLike>(store, PODS);
    const consider = (pod: PodLike) => this.consider(pod);
    this.pods.addHandler({ add: consider, update: (_o, p) => consider(p), delete: (p) => this.started.delete(p.metadata.uid ?? '') });
  }

  async start(): Promise<void> {
    await this.pods.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.pods.stop();
  }

  private consider(pod: PodLike): void {
    const uid = pod.metadata.uid ?? '';
    if (this.stopped || this.started.has(uid) || pod.metadata.deletionTimestamp) return;
    if (pod.status?.phase === 'Running' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const selects = this.options.selects ?? ((p: PodLike) => Boolean(p.spec?.nodeName));
    if (!selects(pod)) return;
    this.started.add(uid);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.markReady(pod).catch(() => undefined);
    }, this.options.readyDelayMs ?? 50);
    this.timers.add(timer);
  }

  private async markReady(pod: PodLike): Promise<void> {
    if (this.stopped) return;
    const ip = this.nextIp++;
    try {
      await this.store.guaranteedUpdate<KubeObject>(PODS, pod.metadata.namespace, pod.metadata.name ?? '', (current) => {
        const cur = current as PodLike;
        if (cur.metadata.uid !== pod.metadata.uid || cur.metadata.deletionTimestamp) return undefined;
        const now = nowTime();
        const containers = cur.spec?.containers ?? [];
        const final = this.options.finish?.(cur);
        if (final) {
          const exitCode = final === 'Succeeded' ? 0 : 1;
          return {
            ...cur,
            status: {
              ...(cur.status ?? {}),
              phase: final,
              startTime: now,
              conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: now }],
              containerStatuses: containers.map((c) => ({ name: c.name, ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode, reason: final === 'Succeeded' ? 'Completed' : 'Error' } } })),
            },
          } as PodLike;
        }
        const next: PodLike = {
          ...cur,
          status: {
            ...(cur.status ?? {}),
            phase: 'Running',
            startTime: now,
            podIP: cur.status?.podIP ?? `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`,
            conditions: [
              { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
              { type: 'Initialized', status: 'True', lastTransitionTime: now },
              { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
              { type: 'Ready', status: 'True', lastTransitionTime: now },
            ],
            containerStatuses: containers.map((c) => ({ name: c.name, ready: true, restartCount: 0, started: true, image: (c as { image?: string }).image ?? '', imageID: '', state: { running: { startedAt: now } } })),
          },
        };
        return next;
      });
      this.readyCount++;
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
  }
}
