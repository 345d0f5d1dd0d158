// pods/eviction with PodDisruptionBudgets, as upstream's EvictionREST: before the pod is deleted,
// the one budget covering it must allow a disruption, which is recorded in the budget's status
// (disruptionsAllowed - 1, the pod in disruptedPods) with a compare-and-swap write.
import { isPodReady, nowTime, type PodLike } from '../../controller/pods.js';
import { INSUFFICIENT_PODS, PODDISRUPTIONBUDGETS, pdbSelector, withDisruptionAllowed, type PodDisruptionBudget } from '../../objects/pdb.js';
import { StatusError, errors } from '../../objects/status.js';
import type { ResourceKey } from '../../objects/types.js';
import type { DeleteOptions, ObjectStore } from '../../store/types.js';

/** Upstream's MaxDisruptedPodSize: evictions the controller has not confirmed yet. */
const MAX_DISRUPTED_PODS = 2000;

const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

/** The pod condition an eviction leaves on the pod it deletes (upstream PodDisruptionConditions, GA in 1.31). */
const DISRUPTION_TARGET = { type: 'DisruptionTarget', status: 'True' as const, reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' };

/** 429 TooManyRequests with a DisruptionBudget cause (kubectl drain retries these). */
function tooManyRequests(message: string): StatusError {
  // metav1.StatusCause serializes its type as `reason`.
  return new StatusError(429, 'TooManyRequests', VIOLATION, { causes: [{ reason: 'DisruptionBudget', message }] });
}

function forbidden(pdb: string, why: string): StatusError {
  return new StatusError(403, 'Forbidden', `poddisruptionbudgets.policy "${pdb}" is forbidden: ${why}`, { name: pdb, group: 'policy', kind: 'poddisruptionbudgets' });
}

/** Pods whose disruption the budgets do not count: finished, not started, or already going. */
function canIgnoreBudgets(pod: PodLike): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

/** Budgets of the pod's namespace whose selector covers it. */
async function budgetsFor(store: ObjectStore, pod: PodLike): Promise<PodDisruptionBudget[]> {
  const listed = await store.list<PodDisruptionBudget>(PODDISRUPTIONBUDGETS, { namespace: pod.metadata.namespace });
  const labels = (pod.metadata.labels ?? {}) as Record<string, string>;
  return listed.items.filter((pdb) => pdbSelector(pdb)(labels));
}

/** The budget after one more disruption, or the error upstream's checkAndDecrement answers. */
function decremented(pdb: PodDisruptionBudget, podName: string, now: string): PodDisruptionBudget {
  const status = pdb.status ?? {};
  const name = pdb.metadata.name ?? '';
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1)) {
    throw tooManyRequests(`The disruption budget ${name} is still being processed by the server.`);
  }
  const allowed = status.disruptionsAllowed ?? 0;
  if (allowed < 0) throw forbidden(name, 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw forbidden(name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (allowed === 0) {
    throw tooManyRequests(`The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`);
  }
  const next: PodDisruptionBudget = structuredClone(pdb);
  const nextStatus = (next.status ??= {});
  nextStatus.disruptionsAllowed = allowed - 1;
  if (nextStatus.disruptionsAllowed === 0) {
    nextStatus.conditions = withDisruptionAllowed(nextStatus.conditions, { status: 'False', observedGeneration: nextStatus.observedGeneration, reason: INSUFFICIENT_PODS, message: '' }, now);
  }
  nextStatus.disruptedPods = { ...(nextStatus.disruptedPods ?? {}), [podName]: now };
  return next;
}

/** The delete options after the budget check (not yet the DisruptionTarget condition). */
async function checkBudgets(store: ObjectStore, pod: PodLike, opts: DeleteOptions): Promise<DeleteOptions> {
  if (canIgnoreBudgets(pod)) return opts;
  const budgets = await budgetsFor(store, pod);
  if (budgets.length > 1) throw errors.internal('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  if (budgets.length === 0) return opts;
  const pdb = budgets[0]!;
  const name = pod.metadata.name ?? '';
  if (!isPodReady(pod)) {
    const status = pdb.status ?? {};
    const alwaysAllow = pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow';
    const healthyEnough = (status.currentHealthy ?? 0) >= (status.desiredHealthy ?? 0) && (status.desiredHealthy ?? 0) > 0;
    if (alwaysAllow || healthyEnough) {
      return { ...opts, preconditions: { ...opts.preconditions, resourceVersion: opts.preconditions?.resourceVersion ?? pod.metadata.resourceVersion } };
    }
  }
  const now = nowTime();
  if (opts.dryRun) {
    decremented(pdb, name, now);
    return opts;
  }
  // guaranteedUpdate re-reads and re-checks on a conflict (upstream: RetryOnConflict with a refresh).
  await store.guaranteedUpdate<PodDisruptionBudget>(PODDISRUPTIONBUDGETS, pdb.metadata.namespace, pdb.metadata.name!, (current) => decremented(current, name, now));
  return opts;
}

/**
 * Upstream addConditionAndDeletePod: the pod gets the DisruptionTarget condition before it is
 * deleted (the delete preconditions are checked against it first); a resourceVersion
 * precondition then moves to the version this write produced.
 */
async function markDisruptionTarget(store: ObjectStore, podResource: ResourceKey, pod: PodLike, opts: DeleteOptions): Promise<DeleteOptions> {
  const name = pod.metadata.name ?? '';
  const updated = await store.guaranteedUpdate<PodLike>(podResource, pod.metadata.namespace, name, (current) => {
    const pre = opts.preconditions;
    if ((pre?.uid && pre.uid !== current.metadata.uid) || (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion)) {
      const which = pre?.uid && pre.uid !== current.metadata.uid ? `UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}` : `ResourceVersion in precondition: ${pre!.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`;
      throw errors.conflict('pods', name, `Precondition failed: ${which}`);
    }
    const conditions = current.status?.conditions ?? [];
    const old = conditions.find((c) => c.type === DISRUPTION_TARGET.type);
    if (old && old.status === DISRUPTION_TARGET.status && old.reason === DISRUPTION_TARGET.reason && old.message === DISRUPTION_TARGET.message) return undefined;
    const condition = { ...DISRUPTION_TARGET, lastProbeTime: null, lastTransitionTime: old?.status === 'True' && old.lastTransitionTime ? old.lastTransitionTime : nowTime() };
    const next = structuredClone(current);
    next.status = { ...next.status, conditions: old ? conditions.map((c) => (c === old ? condition : c)) : [...conditions, condition] };
    return next;
  });
  if (!opts.preconditions?.resourceVersion) return opts;
  return { ...opts, preconditions: { ...opts.preconditions, resourceVersion: updated.metadata.resourceVersion } };
}

/**
 * Checks the pod's PodDisruptionBudget before an eviction and records the disruption in it
 * (not with dryRun). Returns the delete options to use: for a not-Ready pod let go without a
 * budget decrement, the pod's resourceVersion becomes a precondition, so a pod that turned Ready
 * in between is not deleted behind the budget's back. Throws 429 / 500 / 403 Status errors.
 */
export async function admitEviction(store: ObjectStore, podResource: ResourceKey, namespace: string | undefined, name: string, requested: DeleteOptions): Promise<DeleteOptions> {
  const pod = await store.get<PodLike>(podResource, namespace, name);
  const opts = await checkBudgets(store, pod, requested);
  return opts.dryRun ? opts : markDisruptionTarget(store, podResource, pod, opts);
}
