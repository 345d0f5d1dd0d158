// pods/eviction against PodDisruptionBudgets, and PDB validation, through the REST layer on the real
// object store (real nats-server). Budget statuses are written by hand here: the disruption
// controller that computes them has its own tests (plugins/controllers/disruption).
import t from 'tap';
import { ResourceRegistry } from '../../objects/registry.js';
import { PODDISRUPTIONBUDGETS, type PodDisruptionBudget } from '../../objects/pdb.js';
import type { KubeObject, ResourceKey } from '../../objects/types.js';
import { createAdmission } from '../../objects/validation/mod.js';
import { openObjectStore } from '../../store/mod.js';
import type { ObjectStore } from '../../store/types.js';
import { startTestNats } from '../../testing/nats.js';
import { call, startRestServer, type TestApi } from './testkit.js';

const PODS: ResourceKey = { group: '', resource: 'pods', namespaced: true };
const NAMESPACES: ResourceKey = { group: '', resource: 'namespaces', namespaced: false };
const PDBS_URL = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

type Health = 'ready' | 'unready' | 'pending' | 'succeeded';

function pod(name: string, health: Health, labels: Record<string, string> = { app: 'web' }): KubeObject {
  const phase = health === 'pending' ? 'Pending' : health === 'succeeded' ? 'Succeeded' : 'Running';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...(health === 'pending' ? {} : { nodeName: 'n1' }) },
    status: { phase, conditions: [{ type: 'Ready', status: health === 'ready' ? 'True' : 'False' }] },
  };
}

interface BudgetState {
  allowed: number;
  current: number;
  desired: number;
  observed?: number;
}

function pdb(name: string, spec: PodDisruptionBudget['spec']): PodDisruptionBudget {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'default' }, spec };
}

const evictionBody = (name: string) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } });

t.test('pods/eviction honours PodDisruptionBudgets', async (t) => {
  const nats = await startTestNats(t);
  const store: ObjectStore = await openObjectStore(await nats.connect(), { admission: createAdmission(new ResourceRegistry()) });
  t.teardown(() => store.close());
  await store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const api: TestApi = await startRestServer(t, store);

  const evict = (name: string, query = '') => call(api, 'POST', `/api/v1/namespaces/default/pods/${name}/eviction${query}`, evictionBody(name));
  const exists = async (name: string) => (await call(api, 'GET', `/api/v1/namespaces/default/pods/${name}`)).status === 200;
  const budget = (name: string) => store.get<PodDisruptionBudget>(PODDISRUPTIONBUDGETS, 'default', name);
  /** Writes the status the disruption controller would have written. */
  const setStatus = (name: string, s: BudgetState) =>
    store.guaranteedUpdate<PodDisruptionBudget>(PODDISRUPTIONBUDGETS, 'default', name, (cur) => ({
      ...cur,
      status: { observedGeneration: s.observed ?? cur.metadata.generation, disruptionsAllowed: s.allowed, currentHealthy: s.current, desiredHealthy: s.desired, expectedPods: 3 },
    }));
  const createPods = async (...pods: KubeObject[]) => {
    for (const p of pods) await store.create(PODS, p);
  };

  await t.test('without a budget the pod is deleted', async (t) => {
    await createPods(pod('lonely', 'ready', { app: 'other' }));
    const r = await evict('lonely');
    t.equal(r.status, 201);
    t.same(r.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    t.notOk(await exists('lonely'));
  });

  await t.test('the evicted pod carries the DisruptionTarget condition while it terminates', async (t) => {
    const held = pod('held', 'ready', { app: 'other' });
    held.metadata.finalizers = ['test.kite.dev/hold'];
    await createPods(held);
    t.equal((await evict('held')).status, 201);
    const terminating = await store.get<KubeObject & { status: { conditions: unknown[] } }>(PODS, 'default', 'held');
    t.ok(terminating.metadata.deletionTimestamp, 'being deleted');
    t.match(terminating.status.conditions, [{ type: 'Ready' }, { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' }]);
    const stale = await call(api, 'POST', '/api/v1/namespaces/default/pods/held/eviction', { ...evictionBody('held'), deleteOptions: { preconditions: { uid: 'not-the-uid' } } });
    t.equal(stale.status, 409, 'delete preconditions are checked before the condition is written');
    await store.guaranteedUpdate(PODS, 'default', 'held', (p) => ({ ...p, metadata: { ...p.metadata, finalizers: [] } }));
    t.notOk(await exists('held'));
  });

  await t.test('a budget allowing one disruption: the first eviction passes, the next gets 429', async (t) => {
    const created = await call(api, 'POST', PDBS_URL, { ...pdb('web', { minAvailable: 2, selector: { matchLabels: { app: 'web' } } }), status: { disruptionsAllowed: 7 } });
    t.equal(created.status, 201, JSON.stringify(created.body));
    t.same(created.body.status ?? {}, {}, 'a new budget starts without status');
    await createPods(pod('a', 'ready'), pod('b', 'ready'), pod('c', 'ready'));
    await setStatus('web', { allowed: 1, current: 3, desired: 2 });

    const first = await evict('a');
    t.equal(first.status, 201, JSON.stringify(first.body));
    t.notOk(await exists('a'), 'evicted pod deleted');
    const after = await budget('web');
    t.equal(after.status?.disruptionsAllowed, 0, 'disruptionsAllowed decremented');
    t.ok(after.status?.disruptedPods?.a, 'pod recorded in disruptedPods');
    t.match(after.status?.conditions, [{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }]);

    const second = await evict('b');
    t.equal(second.status, 429);
    t.same(second.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: VIOLATION,
      reason: 'TooManyRequests',
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 3 currently' }] },
      code: 429,
    });
    t.ok(await exists('b'), 'pod kept');
  });

  await t.test('dryRun checks the budget but changes nothing', async (t) => {
    await setStatus('web', { allowed: 1, current: 2, desired: 1 });
    const r = await evict('b', '?dryRun=All');
    t.equal(r.status, 201);
    t.ok(await exists('b'), 'pod kept');
    const after = await budget('web');
    t.equal(after.status?.disruptionsAllowed, 1, 'budget unchanged');
    t.notOk(after.status?.disruptedPods, 'nothing recorded');
    await setStatus('web', { allowed: 0, current: 2, desired: 2 });
    t.equal((await evict('b', '?dryRun=All')).status, 429, 'a dry run is refused like the real one');
  });

  await t.test('an old observedGeneration means the budget is still being processed', async (t) => {
    await setStatus('web', { allowed: 1, current: 3, desired: 2, observed: 0 });
    const r = await evict('b');
    t.equal(r.status, 429);
    t.same(r.body.details.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget web is still being processed by the server.' }]);
  });

  await t.test('pending, finished and deleting pods are evicted without a check', async (t) => {
    await setStatus('web', { allowed: 0, current: 2, desired: 2 });
    await createPods(pod('p', 'pending'), pod('s', 'succeeded'));
    t.equal((await evict('p')).status, 201, 'pending');
    t.equal((await evict('s')).status, 201, 'succeeded');
    t.notOk(await exists('p'));
    t.notOk(await exists('s'));
  });

  await t.test('unhealthy (running, not Ready) pods: IfHealthyBudget and AlwaysAllow', async (t) => {
    await createPods(pod('u1', 'unready'), pod('u2', 'unready'), pod('u3', 'unready'));
    await setStatus('web', { allowed: 0, current: 1, desired: 2 });
    const refused = await evict('u1');
    t.equal(refused.status, 429, 'IfHealthyBudget: the budget is not healthy, the usual check applies');
    t.ok(await exists('u1'));
    await setStatus('web', { allowed: 0, current: 2, desired: 2 });
    t.equal((await evict('u1')).status, 201, 'IfHealthyBudget: current >= desired lets an unhealthy pod go');
    t.notOk(await exists('u1'));
    t.notOk((await budget('web')).status?.disruptedPods?.u1, 'no decrement for an unhealthy pod');
    await setStatus('web', { allowed: 0, current: 1, desired: 2 });
    const patched = await call(api, 'PATCH', `${PDBS_URL}/web`, { spec: { unhealthyPodEvictionPolicy: 'AlwaysAllow' } }, { 'content-type': 'application/merge-patch+json' });
    t.equal(patched.status, 200, JSON.stringify(patched.body));
    await setStatus('web', { allowed: 0, current: 1, desired: 2 });
    t.equal((await evict('u2')).status, 201, 'AlwaysAllow: an unhealthy pod always goes');
    t.equal((await evict('b')).status, 429, 'AlwaysAllow does not apply to a Ready pod');
  });

  await t.test('concurrent evictions spend one allowed disruption once', async (t) => {
    await createPods(pod('r1', 'ready'), pod('r2', 'ready'));
    await setStatus('web', { allowed: 1, current: 3, desired: 2 });
    const answers = await Promise.all([evict('r1'), evict('r2')]);
    t.same(answers.map((a) => a.status).sort(), [201, 429]);
    t.equal((await budget('web')).status?.disruptionsAllowed, 0);
  });

  await t.test('a pod covered by two budgets cannot be evicted', async (t) => {
    const second = await call(api, 'POST', PDBS_URL, pdb('everything', { maxUnavailable: 1, selector: {} }));
    t.equal(second.status, 201, 'an empty selector is valid (policy/v1: every pod of the namespace)');
    await setStatus('web', { allowed: 1, current: 3, desired: 2 });
    const r = await evict('b');
    t.equal(r.status, 500);
    t.equal(r.body.reason, 'InternalError');
    t.equal(r.body.message, 'Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    t.ok(await exists('b'));
    await createPods(pod('other', 'ready', { app: 'other' }));
    await setStatus('everything', { allowed: 0, current: 1, desired: 1 });
    t.equal((await evict('other')).status, 429, 'the empty selector covers pods of any label');
    const nilSelector = await call(api, 'POST', PDBS_URL, pdb('none', { minAvailable: 5 }));
    t.equal(nilSelector.status, 201);
    await call(api, 'DELETE', `${PDBS_URL}/everything`);
    t.equal((await evict('other')).status, 201, 'a budget without a selector covers nothing');
  });
});

t.test('PodDisruptionBudget validation', async (t) => {
  const nats = await startTestNats(t);
  const store: ObjectStore = await openObjectStore(await nats.connect(), { admission: createAdmission(new ResourceRegistry()) });
  t.teardown(() => store.close());
  await store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const api = await startRestServer(t, store);
  const create = (spec: PodDisruptionBudget['spec']) => call(api, 'POST', PDBS_URL, pdb('bad', spec));
  const selector = { matchLabels: { app: 'web' } };

  const both = await create({ minAvailable: 1, maxUnavailable: 1, selector });
  t.equal(both.status, 422);
  t.equal(both.body.reason, 'Invalid');
  t.equal(both.body.details.kind, 'PodDisruptionBudget');
  t.equal(both.body.details.causes[0].field, 'spec');
  t.match(both.body.message, /^PodDisruptionBudget\.policy "bad" is invalid: spec: Invalid value: policy\.PodDisruptionBudgetSpec\{MinAvailable:.*: minAvailable and maxUnavailable cannot be both set$/);

  const negative = await create({ minAvailable: -1, selector });
  t.equal(negative.status, 422);
  t.same(negative.body.details.causes, [{ reason: 'FieldValueInvalid', field: 'spec.minAvailable', message: 'Invalid value: -1: must be greater than or equal to 0' }]);

  const tooMuch = await create({ maxUnavailable: '120%', selector });
  t.equal(tooMuch.body.details?.causes?.[0]?.field, 'spec.maxUnavailable');
  t.equal(tooMuch.body.message, 'PodDisruptionBudget.policy "bad" is invalid: spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%');

  const notPercent = await create({ minAvailable: 'half', selector });
  t.match(notPercent.body.message, /spec\.minAvailable: Invalid value: .*StrVal:"half".*: a valid percent string must be a numeric string followed by an ending '%'/);

  const policy = await create({ minAvailable: 1, selector, unhealthyPodEvictionPolicy: 'Sometimes' as 'AlwaysAllow' });
  t.match(policy.body.message, /spec\.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"/);

  const badSelector = await create({ minAvailable: 1, selector: { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] } });
  t.match(badSelector.body.message, /spec\.selector\.matchExpressions\[0\]\.values: Required value/);

  const ok = await create({ minAvailable: '100%', selector });
  t.equal(ok.status, 201, 'a percent up to 100% is fine');
  const bump = await call(api, 'PATCH', `${PDBS_URL}/bad`, { spec: { minAvailable: 2 } }, { 'content-type': 'application/merge-patch+json' });
  t.equal(bump.body.metadata.generation, 2, 'a spec change bumps generation');
  const status = await call(api, 'PUT', `${PDBS_URL}/bad/status`, { ...bump.body, spec: { minAvailable: 9 }, status: { disruptionsAllowed: 3, observedGeneration: 2 } });
  t.equal(status.status, 200, JSON.stringify(status.body));
  t.equal(status.body.status.disruptionsAllowed, 3, 'status written through pdb/status');
  t.equal(status.body.spec.minAvailable, 2, 'pdb/status does not change spec');
});
