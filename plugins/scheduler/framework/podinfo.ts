// PodInfo: what the scheduler precomputes once per pod — effective resource requests (upstream's
// ComputePodResourceRequest, sidecar-aware), the non-zero variant used for scoring, and compiled
// pod (anti-)affinity terms.
import { compileLabelSelector, type LabelSelector } from '../../../kernel/objects/selectors.js';
import { tryParseQuantity } from '../../../kernel/objects/validation/quantity.js';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST } from '../../../wasm/score/types.js';
import type { AffinityTerm, Pod, PodInfo, Resource, WeightedAffinityTerm } from './interfaces.js';

export function emptyResource(): Resource {
  return { milliCpu: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: new Map() };
}

/** Quantity → integer milli-units, rounding up as upstream's MilliValue does. */
export function toMilli(q: unknown): number {
  const v = tryParseQuantity(q);
  if (v === undefined) return 0;
  const m = v * 1000;
  const r = Math.round(m);
  return Math.abs(m - r) < 1e-6 ? r : Math.ceil(m);
}

/** Quantity → integer units (bytes, counts), rounding up as upstream's Value does. */
export function toUnits(q: unknown): number {
  const v = tryParseQuantity(q);
  if (v === undefined) return 0;
  const r = Math.round(v);
  return Math.abs(v - r) < 1e-9 ? r : Math.ceil(v);
}

/** Reads a ResourceList (`{cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': 1}`) into a Resource. */
export function resourceFromList(list: Record<string, unknown> | undefined, into: Resource = emptyResource()): Resource {
  if (!list) return into;
  for (const [name, q] of Object.entries(list)) {
    switch (name) {
      case 'cpu': into.milliCpu += toMilli(q); break;
      case 'memory': into.memory += toUnits(q); break;
      case 'ephemeral-storage': into.ephemeralStorage += toUnits(q); break;
      case 'pods': into.pods += toUnits(q); break;
      default: into.scalar.set(name, (into.scalar.get(name) ?? 0) + toUnits(q));
    }
  }
  return into;
}

function add(a: Resource, b: Resource): void {
  a.milliCpu += b.milliCpu;
  a.memory += b.memory;
  a.ephemeralStorage += b.ephemeralStorage;
  a.pods += b.pods;
  for (const [k, v] of b.scalar) a.scalar.set(k, (a.scalar.get(k) ?? 0) + v);
}

function max(a: Resource, b: Resource): void {
  a.milliCpu = Math.max(a.milliCpu, b.milliCpu);
  a.memory = Math.max(a.memory, b.memory);
  a.ephemeralStorage = Math.max(a.ephemeralStorage, b.ephemeralStorage);
  a.pods = Math.max(a.pods, b.pods);
  for (const [k, v] of b.scalar) a.scalar.set(k, Math.max(a.scalar.get(k) ?? 0, v));
}

function sum(a: Resource, b: Resource): Resource {
  const r = emptyResource();
  add(r, a);
  add(r, b);
  return r;
}

interface ContainerLike {
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  restartPolicy?: string;
}

/** A container's requests; a limit without a request counts as the request (API defaulting). */
function containerRequests(c: ContainerLike, nonZero: boolean): Resource {
  const requests = c.resources?.requests ?? {};
  const limits = c.resources?.limits ?? {};
  const merged: Record<string, unknown> = { ...limits, ...requests };
  const r = resourceFromList(merged);
  if (nonZero) {
    if (!('cpu' in merged)) r.milliCpu = DEFAULT_MILLI_CPU_REQUEST;
    if (!('memory' in merged)) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * Upstream ComputePodResourceRequest: sum of app containers and restartable (sidecar) init
 * containers, at least the largest one-shot init container plus the sidecars started before it,
 * plus the pod overhead.
 */
export function podRequests(pod: Pod, nonZero = false): Resource {
  const spec = pod.spec ?? {};
  const total = emptyResource();
  for (const c of (spec.containers ?? []) as ContainerLike[]) add(total, containerRequests(c, nonZero));
  const sidecars = emptyResource();
  const initPeak = emptyResource();
  for (const c of (spec.initContainers ?? []) as ContainerLike[]) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      add(total, r);
      add(sidecars, r);
      max(initPeak, sidecars);
    } else {
      max(initPeak, sum(r, sidecars));
    }
  }
  max(total, initPeak);
  if (spec.overhead) add(total, resourceFromList(spec.overhead as Record<string, unknown>));
  return total;
}

interface RawTerm {
  labelSelector?: LabelSelector | null;
  namespaces?: string[];
  namespaceSelector?: LabelSelector | null;
  topologyKey?: string;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}

function compileTerm(pod: Pod, t: RawTerm): AffinityTerm {
  const ns = pod.metadata.namespace ?? 'default';
  const labels = (pod.metadata.labels ?? {}) as Record<string, string>;
  const selector: LabelSelector = {
    matchLabels: { ...(t.labelSelector?.matchLabels ?? {}) },
    matchExpressions: [...(t.labelSelector?.matchExpressions ?? [])],
  };
  // matchLabelKeys / mismatchLabelKeys only apply when there is a labelSelector (upstream).
  if (t.labelSelector) {
    for (const k of t.matchLabelKeys ?? []) if (k in labels) selector.matchExpressions!.push({ key: k, operator: 'In', values: [labels[k]!] });
    for (const k of t.mismatchLabelKeys ?? []) if (k in labels) selector.matchExpressions!.push({ key: k, operator: 'NotIn', values: [labels[k]!] });
  }
  // A nil labelSelector matches nothing; an empty one matches everything.
  const compiled = t.labelSelector ? compileLabelSelector(selector) : () => false;
  const names = new Set(t.namespaces ?? []);
  if (names.size === 0 && !t.namespaceSelector) names.add(ns);
  return {
    namespaces: names,
    namespaceSelector: t.namespaceSelector ? compileLabelSelector(t.namespaceSelector) : undefined,
    selector: compiled,
    topologyKey: t.topologyKey ?? '',
  };
}

/** Does `term` (of some pod) select `other`, given `other`'s namespace labels (for namespaceSelector)? */
export function termMatchesPod(term: AffinityTerm, other: Pod, namespaceLabels: Record<string, string> | undefined): boolean {
  const ns = other.metadata.namespace ?? 'default';
  const inNamespace = term.namespaces.has(ns) || (term.namespaceSelector !== undefined && term.namespaceSelector(namespaceLabels ?? {}));
  return inNamespace && term.selector((other.metadata.labels ?? {}) as Record<string, string>);
}

export function newPodInfo(pod: Pod): PodInfo {
  const affinity = (pod.spec?.affinity ?? {}) as Record<string, any>;
  const required = (x: any): AffinityTerm[] => ((x?.requiredDuringSchedulingIgnoredDuringExecution ?? []) as RawTerm[]).map((t) => compileTerm(pod, t));
  const preferred = (x: any): WeightedAffinityTerm[] =>
    ((x?.preferredDuringSchedulingIgnoredDuringExecution ?? []) as { weight: number; podAffinityTerm: RawTerm }[]).map((w) => ({
      ...compileTerm(pod, w.podAffinityTerm ?? {}),
      weight: w.weight,
    }));
  const nz = podRequests(pod, true);
  return {
    pod,
    requests: podRequests(pod, false),
    nonZeroRequests: { milliCpu: nz.milliCpu, memory: nz.memory },
    requiredAffinityTerms: required(affinity.podAffinity),
    requiredAntiAffinityTerms: required(affinity.podAntiAffinity),
    preferredAffinityTerms: preferred(affinity.podAffinity),
    preferredAntiAffinityTerms: preferred(affinity.podAntiAffinity),
  };
}
