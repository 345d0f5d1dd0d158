// The disruption controller: the budget arithmetic on its own, then the controller on a real store
// (real nats-server) with hand-made owners and pods whose readiness the test sets.
import 'reflect-metadata';
import t from 'tap';
import type { PodLike } from '../../../kernel/controller/pods.js';
import { PODS } from '../../../kernel/controller/podcontrol.js';
import { PODDISRUPTIONBUDGETS, scaledValue, type PodDisruptionBudget } from '../../../kernel/objects/pdb.js';
import type { KubeObject, ResourceKey } from '../../../kernel/objects/types.js';
import { container, meta, startTestCluster, testOptions, waitFor } from '../testing.js';
import { countHealthy, DELETION_TIMEOUT_MS, expectedAndDesired, liveDisruptions, STALE_DISRUPTION_MS, staleDisruptionIn, type ControllerLookup } from './budget.js';
import { DisruptionController } from './controller.js';
import { disruptionSetup } from './setup.js';

const RS: ResourceKey = { group: 'apps', resource: 'replicasets', namespaced: true };
const DEPLOY: ResourceKey = { group: 'apps', resource: 'deployments', namespaced: true };
const STS: ResourceKey = { group: 'apps', resource: 'statefulsets', namespaced: true };

const owned = (kind: string, name: string, uid: string) => [{ apiVersion: 'apps/v1', kind, name, uid, controller: true }];

function podOf(name: string, ready: boolean, owner?: { kind: string; name: string; uid: string }, labels: Record<string, string> = { app: 'web' }): PodLike {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels, ...(owner ? { ownerReferences: owned(owner.kind, owner.name, owner.uid) } : {}) },
    spec: container('i'),
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

const budgetOf = (spec: PodDisruptionBudget['spec'], status?: PodDisruptionBudget['status']): PodDisruptionBudget => ({ metadata: { name: 'b', namespace: 'default', generation: 1 }, spec, status });

t.test('budget arithmetic', async (t) => {
  t.equal(scaledValue('50%', 3, true), 2, 'percent rounded up');
  t.equal(scaledValue('50%', 3, false), 1);
  t.equal(scaledValue(4, 3, true), 4);
  t.throws(() => scaledValue('half', 3, true));

  const deployment: KubeObject = { metadata: { name: 'web', namespace: 'default', uid: 'd1' }, spec: { replicas: 4 } };
  const rs: KubeObject = { metadata: { name: 'web-1', namespace: 'default', uid: 'r1', ownerReferences: owned('Deployment', 'web', 'd1') }, spec: { replicas: 3 } };
  const lone: KubeObject = { metadata: { name: 'solo', namespace: 'default', uid: 'r2' }, spec: { replicas: 2 } };
  const sts: KubeObject = { metadata: { name: 'db', namespace: 'default', uid: 's1' }, spec: { replicas: 5 } };
  const objects: Record<string, KubeObject> = { 'ReplicaSet/web-1': rs, 'ReplicaSet/solo': lone, 'Deployment/web': deployment, 'StatefulSet/db': sts };
  const lookup: ControllerLookup = (kind, _ns, name) => objects[`${kind}/${name}`];
  const pods = [podOf('a', true, { kind: 'ReplicaSet', name: 'web-1', uid: 'r1' }), podOf('b', true, { kind: 'ReplicaSet', name: 'web-1', uid: 'r1' }), podOf('c', false, { kind: 'ReplicaSet', name: 'web-1', uid: 'r1' })];

  t.same(expectedAndDesired(budgetOf({ minAvailable: 2 }), pods, lookup), { expected: 3, desired: 2, unmanaged: [] }, 'int minAvailable: expected = matching pods');
  t.same(expectedAndDesired(budgetOf({ minAvailable: '50%' }), pods, lookup), { expected: 4, desired: 2, unmanaged: [] }, 'percent: the Deployment scale, not the ReplicaSet');
  t.same(expectedAndDesired(budgetOf({ maxUnavailable: '30%' }), pods, lookup), { expected: 4, desired: 2, unmanaged: [] }, 'maxUnavailable 30% of 4 rounds up to 2');
  t.same(expectedAndDesired(budgetOf({ maxUnavailable: 9 }), pods, lookup).desired, 0, 'never below 0');
  const mixed = [...pods, podOf('s', true, { kind: 'ReplicaSet', name: 'solo', uid: 'r2' }), podOf('d', true, { kind: 'StatefulSet', name: 'db', uid: 's1' }), podOf('x', true)];
  t.same(expectedAndDesired(budgetOf({ maxUnavailable: 1 }), mixed, lookup), { expected: 11, desired: 10, unmanaged: ['x'] }, 'scales summed once per controller; unmanaged reported');
  t.throws(() => expectedAndDesired(budgetOf({ maxUnavailable: 1 }), [podOf('y', true, { kind: 'ReplicaSet', name: 'gone', uid: 'r9' })], lookup), /found no controllers for pod "y"/);
  t.throws(() => expectedAndDesired(budgetOf({ maxUnavailable: 1 }), [podOf('z', true, { kind: 'ReplicaSet', name: 'web-1', uid: 'other' })], lookup), /found no controllers/, 'uid must match');

  const now = Date.parse('2026-11-24T00:10:00Z');
  const iso = (ms: number) => new Date(ms).toISOString();
  const withDisrupted = budgetOf({ minAvailable: 1 }, { disruptedPods: { a: iso(now - 10_000), b: iso(now - DELETION_TIMEOUT_MS - 1000), gone: iso(now) } });
  const live = liveDisruptions(withDisrupted, pods, now);
  t.same(Object.keys(live.disrupted), ['a'], 'older than 2 minutes, or the pod gone: dropped');
  t.same(live.expired, ['b']);
  t.equal(live.recheckAt, now - 10_000 + DELETION_TIMEOUT_MS, 'look again when the kept entry expires');
  t.equal(countHealthy(pods, live.disrupted), 1, 'a just-evicted pod and an unready pod are not healthy');
  const deleting = { ...pods[1]!, metadata: { ...pods[1]!.metadata, deletionTimestamp: iso(now) } };
  t.equal(countHealthy([pods[0]!, deleting], {}), 1, 'a pod being deleted is not healthy');

  const marked = (extra: Partial<{ reason: string; status: 'True' | 'False'; at: number; phase: string; deleting: boolean }> = {}): PodLike => ({
    metadata: { name: 'm', namespace: 'default', ...(extra.deleting ? { deletionTimestamp: iso(now) } : {}) },
    status: { phase: extra.phase ?? 'Running', conditions: [{ type: 'DisruptionTarget', status: extra.status ?? 'True', reason: extra.reason ?? 'EvictionByEvictionAPI', lastTransitionTime: iso(extra.at ?? now - 30_000) }] },
  });
  t.equal(staleDisruptionIn(marked(), now), STALE_DISRUPTION_MS - 30_000, 'stale two minutes after the mark');
  t.equal(staleDisruptionIn(marked({ at: now - 5 * 60_000 }), now), 0);
  t.equal(staleDisruptionIn(marked({ deleting: true }), now), undefined, 'being deleted: not stale');
  t.equal(staleDisruptionIn(marked({ phase: 'Failed' }), now), undefined, 'finished: not stale');
  t.equal(staleDisruptionIn(marked({ reason: 'TerminationByKubelet' }), now), undefined, "the kubelet's marks are never stale");
  t.equal(staleDisruptionIn(marked({ status: 'False' }), now), undefined);
});

t.test('setup', async (t) => {
  t.equal(disruptionSetup(undefined).workers, 2);
  t.throws(() => disruptionSetup({ nope: 1 }), { key: 'nope', message: /unknown option/ });
});

t.test('disruption controller on a real store', async (t) => {
  const c = await startTestCluster(t);
  const { store } = c;
  const dc = new DisruptionController(store, c.logger, c.metrics, testOptions());
  await dc.start();
  t.teardown(() => dc.stop());

  const deployment = await store.create(DEPLOY, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('web'),
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: container('i') } },
  });
  const rs = await store.create(RS, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: meta('web-1', 'default', { ownerReferences: owned('Deployment', 'web', deployment.metadata.uid!) }),
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: container('i') } },
  });
  const owner = { kind: 'ReplicaSet', name: 'web-1', uid: rs.metadata.uid! };
  for (const name of ['a', 'b', 'c']) await store.create(PODS, podOf(name, true, owner));
  const setReady = (name: string, ready: boolean) =>
    store.guaranteedUpdate<PodLike>(PODS, 'default', name, (p) => ({ ...p, status: { ...p.status, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }));
  const statusOf = async (name: string) => (await store.get<PodDisruptionBudget>(PODDISRUPTIONBUDGETS, 'default', name)).status ?? {};
  const until = (name: string, want: Record<string, unknown>) =>
    waitFor(`${name} status ${JSON.stringify(want)}`, async () => {
      const s = await statusOf(name);
      return Object.entries(want).every(([k, v]) => JSON.stringify((s as Record<string, unknown>)[k]) === JSON.stringify(v)) ? s : undefined;
    });

  await store.create(PODDISRUPTIONBUDGETS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta('min2'), spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } });
  const first = await until('min2', { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, observedGeneration: 1 });
  t.match(first.conditions, [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 1 }]);
  t.ok(first.conditions?.[0]?.lastTransitionTime);

  await setReady('a', false);
  const low = await until('min2', { disruptionsAllowed: 0, currentHealthy: 2 });
  t.match(low.conditions, [{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }], 'a pod turning unready is seen');
  await setReady('a', true);
  await until('min2', { disruptionsAllowed: 1, currentHealthy: 3 });

  // What the eviction subresource writes: one disruption spent, the pod recorded.
  await store.guaranteedUpdate<PodDisruptionBudget>(PODDISRUPTIONBUDGETS, 'default', 'min2', (p) => ({
    ...p,
    status: { ...p.status, disruptionsAllowed: 0, disruptedPods: { b: new Date().toISOString(), ghost: new Date().toISOString(), old: new Date(Date.now() - 3 * 60_000).toISOString() } },
  }));
  const recorded = await until('min2', { currentHealthy: 2, disruptionsAllowed: 0 });
  t.same(Object.keys(recorded.disruptedPods ?? {}), ['b'], 'an evicted pod not yet deleted stays recorded, entries of gone pods are dropped');
  await store.delete(PODS, 'default', 'b');
  const afterDelete = await until('min2', { currentHealthy: 2, expectedPods: 2 });
  t.notOk(afterDelete.disruptedPods, 'the deleted pod leaves disruptedPods');

  await store.create(PODDISRUPTIONBUDGETS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta('pct'), spec: { maxUnavailable: '50%', selector: { matchLabels: { app: 'web' } } } });
  await until('pct', { expectedPods: 3, desiredHealthy: 1, currentHealthy: 2, disruptionsAllowed: 1 });
  await store.guaranteedUpdate<KubeObject>(DEPLOY, 'default', 'web', (d) => ({ ...d, spec: { ...(d.spec as object), replicas: 6 } }));
  await until('pct', { expectedPods: 6, desiredHealthy: 3, disruptionsAllowed: 0 });
  t.pass('a scale change of the Deployment moves expectedPods');

  await store.guaranteedUpdate<PodDisruptionBudget>(PODDISRUPTIONBUDGETS, 'default', 'pct', (p) => ({ ...p, spec: { ...p.spec, maxUnavailable: '100%' } }));
  await until('pct', { observedGeneration: 2, desiredHealthy: 0, disruptionsAllowed: 2 });
  t.pass('a spec change is observed (observedGeneration follows generation)');

  await store.create(PODS, podOf('stray', true, { kind: 'StatefulSet', name: 'missing', uid: 'nope' }));
  const failed = await waitFor('SyncFailed', async () => {
    const s = await statusOf('pct');
    return s.conditions?.some((c) => c.reason === 'SyncFailed') ? s : undefined;
  });
  t.equal(failed.disruptionsAllowed, 0, 'fail safe: no disruptions while the budget cannot be computed');
  t.match(failed.conditions, [{ type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: 'found no controllers for pod "stray"' }]);
  const min2 = await until('min2', { expectedPods: 3, currentHealthy: 3 });
  t.equal(min2.disruptionsAllowed, 1, 'an integer minAvailable counts pods and needs no controller');
  await store.delete(PODS, 'default', 'stray');
  await until('pct', { disruptionsAllowed: 2 });

  // An eviction marked these pods DisruptionTarget but did not delete them.
  const mark = (name: string, agoMs: number) =>
    store.guaranteedUpdate<PodLike>(PODS, 'default', name, (p) => ({
      ...p,
      status: { ...p.status, conditions: [...(p.status?.conditions ?? []), { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: new Date(Date.now() - agoMs).toISOString() }] },
    }));
  await mark('a', 3 * 60_000);
  await mark('c', 1000);
  const cleared = await waitFor('stale mark cleared', async () => {
    const p = await store.get<PodLike>(PODS, 'default', 'a');
    return p.status?.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'False');
  });
  t.match(cleared, { status: 'False', reason: 'EvictionByEvictionAPI' }, 'a mark older than 2 minutes goes False');
  const fresh = (await store.get<PodLike>(PODS, 'default', 'c')).status?.conditions?.find((c) => c.type === 'DisruptionTarget');
  t.equal(fresh?.status, 'True', 'a fresh mark stays');

  await store.create(PODDISRUPTIONBUDGETS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta('nothing'), spec: { minAvailable: 0, selector: { matchLabels: { app: 'none' } } } });
  const none = await until('nothing', { expectedPods: 0, currentHealthy: 0 });
  t.equal(none.disruptionsAllowed, 0, 'no expected pods: no disruptions allowed');
});
