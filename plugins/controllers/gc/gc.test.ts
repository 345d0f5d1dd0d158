// Garbage collection (background, foreground, orphan), namespace deletion and default
// ServiceAccounts, on a real store.
import 'reflect-metadata';
import t from 'tap';
import { isStatusError } from '../../../kernel/objects/status.js';
import type { KubeObject, ResourceKey } from '../../../kernel/objects/types.js';
import { NamespaceController, NAMESPACES, type Namespace } from '../namespace/controller.js';
import { ServiceAccountController, SERVICEACCOUNTS } from '../serviceaccount/controller.js';
import { PODS } from '../replicaset/controller.js';
import { container, meta, startTestCluster, testOptions, waitFor } from '../testing.js';
import { FOREGROUND, GarbageCollector, ORPHAN } from './collector.js';

const CONFIGMAPS: ResourceKey = { group: '', resource: 'configmaps', namespaced: true };
const SECRETS: ResourceKey = { group: '', resource: 'secrets', namespaced: true };

t.test('garbage collector, namespace and serviceaccount controllers', async (t) => {
  const c = await startTestCluster(t);
  const { store } = c;
  const gc = new GarbageCollector(store, c.logger, c.metrics, testOptions());
  const nsc = new NamespaceController(store, c.logger, c.metrics, testOptions({ recheckMs: 100 }));
  const sac = new ServiceAccountController(store, c.logger, c.metrics, testOptions());
  for (const ctl of [gc, nsc, sac]) {
    await ctl.start();
    t.teardown(() => ctl.stop());
  }

  const exists = async (res: ResourceKey, ns: string | undefined, name: string) => {
    try {
      return await store.get(res, ns, name);
    } catch (e) {
      if (isStatusError(e, 'NotFound')) return undefined;
      throw e;
    }
  };
  /** An owner ConfigMap with three dependents; the first two block owner deletion. */
  const family = async (prefix: string) => {
    const owner = await store.create<KubeObject>(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${prefix}-owner`) });
    const ref = (block: boolean) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata.name!, uid: owner.metadata.uid!, blockOwnerDeletion: block });
    for (let i = 0; i < 3; i++) {
      await store.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${prefix}-dep-${i}`, 'default', { ownerReferences: [ref(i < 2)], finalizers: i === 0 ? ['test/hold'] : undefined }) });
    }
    return owner;
  };

  await t.test('background: dependents go after the owner', async (t) => {
    await family('bg');
    await store.delete(CONFIGMAPS, 'default', 'bg-owner');
    await waitFor('dependents deleted', async () => !(await exists(CONFIGMAPS, 'default', 'bg-dep-1')) && !(await exists(CONFIGMAPS, 'default', 'bg-dep-2')));
    const held = await exists(CONFIGMAPS, 'default', 'bg-dep-0');
    t.ok(held?.metadata.deletionTimestamp, 'a dependent with its own finalizer is terminating');
    await store.guaranteedUpdate(CONFIGMAPS, 'default', 'bg-dep-0', (o) => ({ ...o, metadata: { ...o.metadata, finalizers: [] } }));
    await waitFor('held dependent gone', async () => !(await exists(CONFIGMAPS, 'default', 'bg-dep-0')));
  });

  await t.test('foreground: the owner waits for its blocking dependents', async (t) => {
    await family('fg');
    const res = await store.delete(CONFIGMAPS, 'default', 'fg-owner', { addFinalizers: [FOREGROUND] });
    t.equal(res.deleted, false, 'owner kept by the foregroundDeletion finalizer');
    await waitFor('unheld dependents deleted', async () => !(await exists(CONFIGMAPS, 'default', 'fg-dep-1')) && !(await exists(CONFIGMAPS, 'default', 'fg-dep-2')));
    const owner = await exists(CONFIGMAPS, 'default', 'fg-owner');
    t.ok(owner?.metadata.deletionTimestamp, 'owner still terminating while fg-dep-0 (blocking, held) exists');
    t.ok((await exists(CONFIGMAPS, 'default', 'fg-dep-0'))?.metadata.deletionTimestamp, 'blocking dependent is being deleted');
    await store.guaranteedUpdate(CONFIGMAPS, 'default', 'fg-dep-0', (o) => ({ ...o, metadata: { ...o.metadata, finalizers: [] } }));
    await waitFor('owner gone', async () => !(await exists(CONFIGMAPS, 'default', 'fg-owner')));
    t.notOk(await exists(CONFIGMAPS, 'default', 'fg-dep-0'));
  });

  await t.test('orphan: dependents stay, without the reference', async (t) => {
    await family('or');
    await store.delete(CONFIGMAPS, 'default', 'or-owner', { addFinalizers: [ORPHAN] });
    await waitFor('owner gone', async () => !(await exists(CONFIGMAPS, 'default', 'or-owner')));
    for (let i = 0; i < 3; i++) {
      const dep = await exists(CONFIGMAPS, 'default', `or-dep-${i}`);
      t.ok(dep && !dep.metadata.deletionTimestamp, `or-dep-${i} kept`);
      t.same(dep?.metadata.ownerReferences ?? [], [], `or-dep-${i} has no owner reference`);
    }
  });

  await t.test('a dependent of an owner that never existed is collected; a live owner keeps it', async (t) => {
    const live = await store.create<KubeObject>(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('live') });
    await store.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('kept', 'default', { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'live', uid: live.metadata.uid! }] }) });
    await store.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('stray', 'default', { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'live', uid: 'not-the-uid' }] }) });
    await waitFor('stray collected', async () => !(await exists(CONFIGMAPS, 'default', 'stray')));
    t.ok(await exists(CONFIGMAPS, 'default', 'kept'));
  });

  await t.test('serviceaccount: default in every namespace, recreated', async (t) => {
    await store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await waitFor('default SA', () => exists(SERVICEACCOUNTS, 'team', 'default'));
    await store.delete(SERVICEACCOUNTS, 'team', 'default');
    await waitFor('default SA again', () => exists(SERVICEACCOUNTS, 'team', 'default'));
    t.ok(await exists(SERVICEACCOUNTS, 'default', 'default'));
  });

  await t.test('a namespace with 200 objects deletes completely', async (t) => {
    await store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'big' } });
    const creates: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) creates.push(store.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`cm-${i}`, 'big'), data: { i: String(i) } }));
    for (let i = 0; i < 50; i++) creates.push(store.create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: meta(`s-${i}`, 'big'), stringData: { i: String(i) } }));
    for (let i = 0; i < 50; i++) creates.push(store.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: meta(`p-${i}`, 'big', i === 0 ? { finalizers: ['test/hold'] } : {}), spec: container('busybox') }));
    await Promise.all(creates);
    // What the REST layer does for DELETE of a namespace whose spec.finalizers holds `kubernetes`.
    const res = await store.delete(NAMESPACES, undefined, 'big', { addFinalizers: ['kubernetes'] });
    t.equal(res.deleted, false);
    const terminating = await waitFor('Terminating', async () => ((await exists(NAMESPACES, undefined, 'big')) as Namespace | undefined)?.status?.phase === 'Terminating');
    t.ok(terminating);
    const late = await store.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('late', 'big') }).then(() => undefined, (e: unknown) => e);
    t.ok(isStatusError(late, 'Forbidden'), 'no new content while terminating');
    await waitFor('content deleted except the held pod', async () => (await store.list(CONFIGMAPS, { namespace: 'big' })).items.length === 0 && (await store.list(PODS, { namespace: 'big' })).items.length === 1);
    t.ok(await exists(NAMESPACES, undefined, 'big'), 'namespace waits for the held pod');
    await store.guaranteedUpdate(PODS, 'big', 'p-0', (o) => ({ ...o, metadata: { ...o.metadata, finalizers: [] } }));
    await waitFor('namespace gone', async () => !(await exists(NAMESPACES, undefined, 'big')), 30_000);
    for (const res of [CONFIGMAPS, SECRETS, PODS, SERVICEACCOUNTS]) t.equal((await store.list(res, { namespace: 'big' })).items.length, 0, `no ${res.resource} left`);
  });
});
