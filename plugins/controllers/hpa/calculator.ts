// The replica calculator for Resource and ContainerResource metrics, in the simple form of
// upstream's GetResourceReplicas / GetRawResourceReplicas (pkg/controller/podautoscaler/
// replica_calculator.go): ratio of usage to target over the pods that have metrics, the 10%
// tolerance, and the conservative fill-in for pods without metrics and not-yet-ready pods.
import { isPodReady, type PodLike } from '../../../kernel/controller/pods.js';
import { tryParseQuantity } from '../../../kernel/objects/validation/mod.js';

/** Upstream's default --horizontal-pod-autoscaler-tolerance. */
export const TOLERANCE = 0.1;

export type ResourceName = 'cpu' | 'memory';

/** One pod's usage of the resource in base units (cores, bytes), by container name. */
export type PodUsageMap = Map<string, Map<string, number>>;

export interface ReplicaProposal {
  replicas: number;
  /** Utilization in percent of requests (Utilization targets), as upstream's int32 truncation. */
  utilization?: number;
  /** Average usage per pod with metrics, base units. */
  averageValue: number;
}

export class MetricError extends Error {}

function podKey(pod: PodLike): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
}

/** Sum of the containers' requests of `resource` (only `container` when given); throws when one lacks it. */
export function podRequest(pod: PodLike, resource: ResourceName, container?: string): number {
  const containers = ((pod.spec as { containers?: Array<{ name: string; resources?: { requests?: Record<string, string> } }> } | undefined)?.containers ?? [])
    .filter((c) => container === undefined || c.name === container);
  let total = 0;
  for (const c of containers) {
    const q = tryParseQuantity(c.resources?.requests?.[resource]);
    if (q === undefined) throw new MetricError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
    total += q;
  }
  return total;
}

/**
 * Upstream groupPods, simplified: pods being deleted or Failed are ignored; for cpu, Pending and
 * not-Ready pods are "unready" (upstream also looks at the cpu initialization period and the time
 * of the last readiness change; here readiness alone decides); pods without metrics are "missing".
 */
function groupPods(pods: PodLike[], usage: PodUsageMap, resource: ResourceName) {
  const ready: PodLike[] = [];
  const unready: PodLike[] = [];
  const missing: PodLike[] = [];
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') continue;
    if (pod.status?.phase === 'Pending') {
      unready.push(pod);
      continue;
    }
    if (!usage.has(podKey(pod))) {
      missing.push(pod);
      continue;
    }
    if (resource === 'cpu' && !isPodReady(pod)) unready.push(pod);
    else ready.push(pod);
  }
  return { ready, unready, missing };
}

function usageOf(usage: PodUsageMap, pod: PodLike, container?: string): number {
  const byContainer = usage.get(podKey(pod)) ?? new Map<string, number>();
  if (container !== undefined) return byContainer.get(container) ?? 0;
  let total = 0;
  for (const v of byContainer.values()) total += v;
  return total;
}

export interface ResourceTarget {
  resource: ResourceName;
  container?: string;
  /** Percent of requests. */
  averageUtilization?: number;
  /** Base units per pod. */
  averageValue?: number;
}

/**
 * The replica count `target` asks for. Throws MetricError (upstream's messages) when there are no
 * pods, no metrics, or a pod lacks a request (Utilization only).
 */
export function proposeReplicas(currentReplicas: number, target: ResourceTarget, pods: PodLike[], usage: PodUsageMap): ReplicaProposal {
  if (pods.length === 0) throw new MetricError('no pods returned by selector while calculating replica count');
  const { ready, unready, missing } = groupPods(pods, usage, target.resource);
  if (ready.length === 0) throw new MetricError('did not receive metrics for targeted pods (pods might be unready)');

  const byUtilization = target.averageUtilization !== undefined;
  const requests = new Map<PodLike, number>();
  if (byUtilization) for (const pod of [...ready, ...missing, ...unready]) requests.set(pod, podRequest(pod, target.resource, target.container));

  // value per pod counted: usage for ready pods, the fill-ins for the others.
  const counted = new Map<PodLike, number>(ready.map((p) => [p, usageOf(usage, p, target.container)]));
  const ratioOf = (values: Map<PodLike, number>): { ratio: number; utilization?: number; average: number } => {
    let used = 0;
    let requested = 0;
    for (const [pod, v] of values) {
      used += v;
      requested += requests.get(pod) ?? 0;
    }
    const average = used / values.size;
    if (byUtilization) {
      if (requested <= 0) throw new MetricError(`no metrics returned matched known pods`);
      const utilization = Math.trunc((used * 100) / requested);
      return { ratio: utilization / target.averageUtilization!, utilization, average };
    }
    return { ratio: average / target.averageValue!, average };
  };

  const first = ratioOf(counted);
  const scaleUpWithUnready = unready.length > 0 && first.ratio > 1;
  const report = (replicas: number): ReplicaProposal => ({ replicas, averageValue: first.average, ...(first.utilization !== undefined ? { utilization: first.utilization } : {}) });
  if (!scaleUpWithUnready && missing.length === 0) {
    if (Math.abs(1 - first.ratio) <= TOLERANCE) return report(currentReplicas);
    return report(Math.ceil(first.ratio * ready.length));
  }
  // Conservative fill-in: pods without metrics count as at target when scaling down and as idle
  // when scaling up; unready pods count as idle when scaling up (so they cannot push it further).
  for (const pod of missing) {
    const atTarget = byUtilization ? requests.get(pod)! : target.averageValue!;
    counted.set(pod, first.ratio < 1 ? atTarget : 0);
  }
  if (scaleUpWithUnready) for (const pod of unready) counted.set(pod, 0);
  const next = ratioOf(counted);
  if (Math.abs(1 - next.ratio) <= TOLERANCE || (first.ratio < 1 && next.ratio > 1) || (first.ratio > 1 && next.ratio < 1)) return report(currentReplicas);
  const replicas = Math.ceil(next.ratio * counted.size);
  if ((next.ratio < 1 && replicas > currentReplicas) || (next.ratio > 1 && replicas < currentReplicas)) return report(currentReplicas);
  return report(replicas);
}
