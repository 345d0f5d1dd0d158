// Deployment arithmetic as upstream's deployment/util: template hash, surge/unavailable
// fenceposts, revisions, proportional-scaling fractions and the rollout status predicates.
import { canonicalJson, type Condition } from '../../../kernel/controller/pods.js';
import type { KubeObject } from '../../../kernel/objects/types.js';
import type { LabelSelector } from '../../../kernel/objects/selectors.js';
import type { ReplicaSet } from '../resources.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';

export type PodTemplate = NonNullable<ReplicaSet['spec']['template']>;

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector?: LabelSelector;
    template?: PodTemplate;
    strategy?: { type?: 'RollingUpdate' | 'Recreate'; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    collisionCount?: number;
    conditions?: Condition[];
  };
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a (32 bit) of the canonical template JSON and the collision count, in upstream's alphabet. */
export function podTemplateHash(template: PodTemplate | undefined, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = canonicalJson(withoutNullMetadata(template)) + (collisionCount ? `#${collisionCount}` : '');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let out = '';
  do {
    out = SAFE_ALPHABET[h % SAFE_ALPHABET.length] + out;
    h = Math.floor(h / SAFE_ALPHABET.length);
  } while (h > 0);
  return out;
}

/**
 * The template as upstream's Go structs see it: a null metadata field (kubectl sends
 * `creationTimestamp: null` in templates, e.g. on `rollout undo`) is the same as an absent one.
 */
function withoutNullMetadata(template: PodTemplate | undefined): PodTemplate {
  const copy = structuredClone(template ?? {}) as PodTemplate;
  const meta = copy.metadata as Record<string, unknown> | undefined;
  if (meta) for (const k of Object.keys(meta)) if (meta[k] === null) delete meta[k];
  return copy;
}

function withoutHash(template: PodTemplate | undefined): string {
  const copy = withoutNullMetadata(template);
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[HASH_LABEL];
  }
  return canonicalJson(copy);
}

/** Same template apart from the pod-template-hash label (upstream EqualIgnoreHash). */
export function templatesEqual(a: PodTemplate | undefined, b: PodTemplate | undefined): boolean {
  return withoutHash(a) === withoutHash(b);
}

/** An int-or-percent against a total: percentages round up (surge) or down (unavailable). */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return Number(value) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

function fenceposts(d: Deployment): { surge: number; unavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  const ru = d.spec.strategy?.rollingUpdate;
  const surge = scaledValue(ru?.maxSurge ?? '25%', replicas, true);
  let unavailable = scaledValue(ru?.maxUnavailable ?? '25%', replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function isRolling(d: Deployment): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function maxSurge(d: Deployment): number {
  return isRolling(d) ? fenceposts(d).surge : 0;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = d.spec.replicas ?? 1;
  if (!isRolling(d) || replicas === 0) return 0;
  return Math.min(fenceposts(d).unavailable, replicas);
}

export function revisionOf(obj: KubeObject): number {
  const n = Number(obj.metadata.annotations?.[REVISION]);
  return Number.isInteger(n) ? n : 0;
}

export const specReplicas = (rs: ReplicaSet) => rs.spec.replicas ?? 0;
export const sum = (rss: ReplicaSet[], f: (rs: ReplicaSet) => number) => rss.reduce((n, rs) => n + f(rs), 0);
export const byCreation = (a: KubeObject, b: KubeObject) =>
  (Date.parse(a.metadata.creationTimestamp ?? '') || 0) - (Date.parse(b.metadata.creationTimestamp ?? '') || 0) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

/** The share of a scaling step that one RS gets (upstream getReplicaSetFraction). */
export function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  const replicas = d.spec.replicas ?? 1;
  if (replicas === 0) return -specReplicas(rs);
  const deploymentReplicas = replicas + maxSurge(d);
  const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS]);
  const base = Number.isInteger(annotated) && annotated > 0 ? annotated : (d.status?.replicas ?? 0);
  if (base === 0) return 0;
  return Math.round((specReplicas(rs) * deploymentReplicas) / base) - specReplicas(rs);
}

export function deploymentComplete(d: Deployment, s: NonNullable<Deployment['status']>): boolean {
  const replicas = d.spec.replicas ?? 1;
  return s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1);
}

export function deploymentProgressing(d: Deployment, s: NonNullable<Deployment['status']>): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

export function deploymentTimedOut(d: Deployment, conditions: Condition[] | undefined, now = Date.now()): boolean {
  const deadline = d.spec.progressDeadlineSeconds;
  if (deadline === undefined) return false;
  const c = conditions?.find((x) => x.type === 'Progressing');
  if (!c) return false;
  if (c.reason === 'NewReplicaSetAvailable') return false;
  if (c.reason === 'ProgressDeadlineExceeded') return true;
  const from = Date.parse(c.lastUpdateTime ?? c.lastTransitionTime ?? '');
  return Number.isFinite(from) && from + deadline * 1000 < now;
}
