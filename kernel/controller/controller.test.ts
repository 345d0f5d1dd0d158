// The controller library: work queue semantics and metrics, informer relist after 410 Gone,
// leader election on a Lease.
import t from 'tap';
import { Registry } from 'prom-client';
import { openObjectStore } from '../store/mod.js';
import { startTestNats } from '../testing/nats.js';
import type { KubeObject, ResourceKey } from '../objects/types.js';
import { Informer } from './informer.js';
import { LeaderElector, LEASES } from './leader.js';
import { WorkQueue } from './workqueue.js';

const CONFIGMAPS: ResourceKey = { group: '', resource: 'configmaps', namespaced: true };
const NAMESPACES: ResourceKey = { group: '', resource: 'namespaces', namespaced: false };

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('work queue', async (t) => {
  const metrics = new Registry();
  const q = new WorkQueue('test', { metrics, baseDelayMs: 10 });
  q.add('a');
  q.add('b');
  q.add('a');
  t.equal(q.length, 2, 'de-duplicated');
  const first = await q.get();
  t.equal(first, 'a');
  q.add('a');
  t.equal(q.length, 1, 'a key being processed is not queued twice');
  t.equal(await q.get(), 'b');
  q.done('a');
  t.equal(q.length, 1, 'dirty while processing: queued again on done');
  t.equal(await q.get(), 'a');
  q.done('a');
  q.done('b');
  const started = Date.now();
  q.addRateLimited('c');
  q.addRateLimited('c');
  t.equal(q.numRequeues('c'), 2);
  t.equal(await q.get(), 'c');
  t.ok(Date.now() - started >= 9, 'retried after the backoff');
  q.forget('c');
  t.equal(q.numRequeues('c'), 0);
  q.done('c');
  const waiting = q.get();
  q.shutdown();
  t.equal(await waiting, undefined, 'shutdown releases waiting workers');
  const text = await metrics.metrics();
  for (const name of ['workqueue_adds_total', 'workqueue_depth', 'workqueue_queue_duration_seconds', 'workqueue_work_duration_seconds', 'workqueue_retries_total']) {
    t.match(text, new RegExp(`${name}(_count|_bucket)?\\{[^}]*name="test"`), name);
  }
  t.match(text, /workqueue_adds_total\{name="test"\} 4/);
  t.match(text, /workqueue_retries_total\{name="test"\} 2/);
});

t.test('informer relists after 410 Gone and keeps an exact cache', async (t) => {
  const nats = await startTestNats(t);
  const store = await openObjectStore(await nats.connect(), { maxWatchBacklog: 2, watchWindow: 4 });
  t.teardown(() => store.close());
  await store.create(NAMESPACES, { metadata: { name: 'default' } });
  const inf = new Informer<KubeObject>(store, CONFIGMAPS, { namespace: 'default', retryDelayMs: 20 });
  let deletes = 0;
  inf.addHandler({ delete: () => deletes++ });
  inf.addIndex('parity', (o) => [String(Number(o.metadata.name!.slice(3)) % 2)]);
  await inf.start();
  t.teardown(() => inf.stop());
  await Promise.all(Array.from({ length: 40 }, (_, i) => store.create(CONFIGMAPS, { metadata: { name: `cm-${i}`, namespace: 'default' } })));
  await Promise.all(Array.from({ length: 10 }, (_, i) => store.delete(CONFIGMAPS, 'default', `cm-${i}`)));
  await until('cache matches', async () => inf.list('default').length === 30 && inf.get('default', 'cm-0') === undefined);
  t.ok(inf.lists > 1, `relisted (${inf.lists} lists)`);
  t.equal(inf.byIndex('parity', '0').length, 15, 'index kept exact');
  t.ok(deletes > 0, 'deletions reached the handlers');
});

t.test('leader election: one leader, takeover on release and on expiry', async (t) => {
  const nats = await startTestNats(t);
  const stores = await Promise.all([0, 1].map(async () => openObjectStore(await nats.connect())));
  t.teardown(() => Promise.all(stores.map((s) => s.close())));
  const leading = [false, false];
  const electors = stores.map(
    (store, i) =>
      new LeaderElector(store, {
        leaseName: 'test', identity: `id-${i}`, leaseDurationMs: 1000, renewDeadlineMs: 700, retryPeriodMs: 100,
        onStartedLeading: () => { leading[i] = true; },
        onStoppedLeading: () => { leading[i] = false; },
      }),
  );
  electors[0]!.start();
  await until('first leads', () => leading[0]!);
  electors[1]!.start();
  await new Promise((r) => setTimeout(r, 1500));
  t.same(leading, [true, false], 'the second waits while the lease is renewed');
  const lease = await stores[0]!.get<KubeObject & { spec: { holderIdentity: string } }>(LEASES, 'kube-system', 'test');
  t.equal(lease.spec.holderIdentity, 'id-0');
  await electors[0]!.stop(false);
  const stoppedAt = Date.now();
  await until('second takes over after expiry', () => leading[1]!);
  t.ok(Date.now() - stoppedAt >= 500, 'not before the lease expired');
  await electors[1]!.stop(true);
  const released = await stores[0]!.get<KubeObject & { spec: { holderIdentity: string } }>(LEASES, 'kube-system', 'test');
  t.equal(released.spec.holderIdentity, '', 'released on stop');
  electors[0]!.start();
  await until('first leads again at once', () => leading[0]!, 1000);
  await electors[0]!.stop(true);
});
