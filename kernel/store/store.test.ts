import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { KubeObject, WatchEvent } from '../objects/types.js';
import { isStatusError } from '../objects/status.js';
import { startTestNats } from '../testing/nats.js';
import { isWrongLastSequence, KvWriter } from './kv-writer.js';
import { openObjectStore, type KvObjectStore } from './mod.js';
import { setObjectFreezing } from './cache.js';

// The freeze is what this file checks, whoever runs it.
setObjectFreezing(true);

const CM = { group: '', resource: 'configmaps', namespaced: true };
const NS = { group: '', resource: 'namespaces', namespaced: false };

function cm(name: string, data: Record<string, string> = {}, namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('object store on a real nats-server', async (t) => {
  const nats = await startTestNats(t);
  const open = async (extra = {}): Promise<KvObjectStore> => {
    const s = await openObjectStore(await nats.connect(), extra);
    t.teardown(() => s.close());
    return s;
  };
  const store = await open();
  await store.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });

  await t.test('create sets metadata; duplicate create is AlreadyExists', async (t) => {
    const a = await store.create(CM, cm('a', { x: '1' }));
    t.match(a.metadata, { name: 'a', namespace: 'default', generation: 1 });
    t.match(a.metadata.uid, /^[0-9a-f-]{36}$/);
    t.match(a.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    t.ok(Number(a.metadata.resourceVersion) > 0);
    const err = await store.create(CM, cm('a')).catch((e: unknown) => e);
    t.ok(isStatusError(err, 'AlreadyExists'));
    t.match(err, { code: 409, message: 'configmaps "a" already exists' });
    t.same((await store.get(CM, 'default', 'a')).data, { x: '1' }, 'the duplicate changed nothing');
  });

  await t.test('a deleted name can be created again (create over a KV tombstone)', async (t) => {
    await store.create(CM, cm('reborn', { v: '1' }));
    await store.delete(CM, 'default', 'reborn');
    const again = await store.create(CM, cm('reborn', { v: '2' }));
    t.same(again.data, { v: '2' });
    t.same((await store.get(CM, 'default', 'reborn')).data, { v: '2' });
  });

  await t.test('the KV writer: CAS errors, no stream, timeouts', async (t) => {
    const nc = await nats.connect();
    t.teardown(() => nc.close());
    const writer = new KvWriter(nc, 'kite', 300);
    const key = 'configmaps.default.kvwriter';
    const first = await writer.put(key, new TextEncoder().encode('{}'), 0);
    t.ok(first > 0);
    const dup = await writer.put(key, new TextEncoder().encode('{}'), 0).catch((e: unknown) => e);
    t.ok(isWrongLastSequence(dup), 'create of an existing key: wrong last sequence');
    t.ok(await writer.put(key, new TextEncoder().encode('{}'), first) > first, 'CAS on the right revision');
    const noStream = new KvWriter(nc, 'no-such-bucket', 300);
    const e = await noStream.put('k', new Uint8Array(), 0).catch((x: unknown) => x);
    t.match(e, { name: 'KvWriteError', message: /no responders|TIMEOUT/ }, 'a missing stream fails fast, it does not hang');
    noStream.close();
    writer.close();
    const closed = await writer.put(key, new Uint8Array(), 0).catch((x: unknown) => x);
    t.ok(closed instanceof Error, 'a closed writer rejects');
  });

  await t.test('namespace must exist', async (t) => {
    const err = await store.create(CM, cm('x', {}, 'nowhere')).catch((e: unknown) => e);
    t.match(err, { code: 404, message: 'namespaces "nowhere" not found' });
  });

  await t.test('update is compare-and-swap on resourceVersion', async (t) => {
    const v1 = await store.create(CM, cm('cas', { n: '1' }));
    const v2 = await store.update(CM, { ...v1, data: { n: '2' } });
    t.ok(Number(v2.metadata.resourceVersion) > Number(v1.metadata.resourceVersion));
    const err = await store.update(CM, { ...v1, data: { n: 'stale' } }).catch((e: unknown) => e);
    t.ok(isStatusError(err, 'Conflict'));
    t.equal((err as Error).message, 'Operation cannot be fulfilled on configmaps "cas": the object has been modified; please apply your changes to the latest version and try again');
    t.same((await store.get(CM, 'default', 'cas')).data, { n: '2' });
    t.equal(v2.metadata.uid, v1.metadata.uid);
    t.equal(v2.metadata.generation, 1, 'no spec change, no generation bump');
  });

  await t.test('generation bumps only on spec change', async (t) => {
    const D = { group: 'apps', resource: 'deployments', namespaced: true };
    const d = await store.create<KubeObject>(D, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec: { replicas: 1 } });
    const s = await store.update(D, { ...d, status: { replicas: 1 } });
    t.equal(s.metadata.generation as number, 1);
    const g = await store.update(D, { ...s, spec: { replicas: 2 } });
    t.equal(g.metadata.generation as number, 2);
  });

  await t.test('guaranteedUpdate retries on conflict', async (t) => {
    await store.create(CM, cm('counter', { n: '0' }));
    await Promise.all(Array.from({ length: 20 }, () =>
      store.guaranteedUpdate(CM, 'default', 'counter', (cur) => ({ ...cur, data: { n: String(Number((cur.data as { n: string }).n) + 1) } }))));
    t.same((await store.get(CM, 'default', 'counter')).data, { n: '20' });
  });

  await t.test('finalizers block delete until removed', async (t) => {
    await store.create(CM, { ...cm('fin'), metadata: { name: 'fin', namespace: 'default', finalizers: ['kite.dev/test'] } });
    const r = await store.delete(CM, 'default', 'fin');
    t.equal(r.deleted, false);
    t.ok(r.object.metadata.deletionTimestamp);
    const still = await store.get(CM, 'default', 'fin');
    t.ok(still.metadata.deletionTimestamp, 'object stays, terminating');
    const again = await store.delete(CM, 'default', 'fin');
    t.equal(again.deleted, false, 'a second delete changes nothing');
    await store.update(CM, { ...still, metadata: { ...still.metadata, finalizers: [] } });
    const err = await store.get(CM, 'default', 'fin').catch((e: unknown) => e);
    t.ok(isStatusError(err, 'NotFound'), 'removing the last finalizer deletes it');
    const nf = await store.delete(CM, 'default', 'fin').catch((e: unknown) => e);
    t.match(nf, { code: 404, message: 'configmaps "fin" not found' });
  });

  await t.test('delete preconditions and dry run', async (t) => {
    const o = await store.create(CM, cm('pre'));
    const err = await store.delete(CM, 'default', 'pre', { preconditions: { uid: 'other' } }).catch((e: unknown) => e);
    t.ok(isStatusError(err, 'Conflict'));
    const dry = await store.delete(CM, 'default', 'pre', { dryRun: true });
    t.equal(dry.deleted, true);
    await store.get(CM, 'default', 'pre');
    t.equal((await store.delete(CM, 'default', 'pre', { preconditions: { uid: o.metadata.uid } })).deleted, true);
  });

  await t.test('list pages, namespaces and predicates', async (t) => {
    await store.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team1' } });
    for (let i = 0; i < 25; i++) await store.create(CM, cm(`page-${String(i).padStart(2, '0')}`, {}, 'team1'));
    const all = await store.list(CM, { namespace: 'team1' });
    t.equal(all.items.length, 25);
    const names: string[] = [];
    let cont: string | undefined;
    do {
      const page = await store.list(CM, { namespace: 'team1', limit: 10, continue: cont });
      names.push(...page.items.map((o) => o.metadata.name!));
      cont = page.metadata.continue;
    } while (cont);
    t.same(names, all.items.map((o) => o.metadata.name));
    const odd = await store.list(CM, { namespace: 'team1', predicate: (o) => Number(o.metadata.name!.slice(5)) % 2 === 1 });
    t.equal(odd.items.length, 12);
    t.throws(() => { (all.items[0]!.metadata as { name: string }).name = 'mutated'; }, TypeError, 'listed objects are frozen');
    await t.rejects(store.list(CM, { continue: 'garbage' }), { code: 400 });
  });

  await t.test('a client reads its own writes from the cache', async (t) => {
    const other = await open();
    for (let i = 0; i < 50; i++) {
      await other.create(CM, cm(`ryw-${i}`));
      const l = await other.list(CM, { namespace: 'default', predicate: (o) => o.metadata.name === `ryw-${i}` });
      t.equal(l.items.length, 1);
    }
    const l = await store.list(CM, { namespace: 'default', predicate: (o) => o.metadata.name!.startsWith('ryw-') });
    t.equal(l.items.length, 50, 'another client sees them too on a consistent list');
  });

  await t.test('watch resumes from a resourceVersion with no gap and no duplicate', async (t) => {
    const start = store.currentResourceVersion();
    const w = await store.watch(CM, { namespace: 'default', resourceVersion: start });
    const it = w[Symbol.asyncIterator]();
    const a = await store.create(CM, cm('w1'));
    await store.update(CM, { ...a, data: { v: '2' } });
    await store.delete(CM, 'default', 'w1');
    const evs = await take(it, 3);
    t.same(evs.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    w.stop();
    const resumeFrom = evs[0]!.object.metadata.resourceVersion!;
    const w2 = await store.watch(CM, { namespace: 'default', resourceVersion: resumeFrom });
    const evs2 = await take(w2[Symbol.asyncIterator](), 2);
    t.same(evs2.map((e) => [e.type, e.object.metadata.resourceVersion]), evs.slice(1).map((e) => [e.type, e.object.metadata.resourceVersion]));
    w2.stop();
  });

  await t.test('watch with a predicate turns selector transitions into ADDED/DELETED', async (t) => {
    const w = await store.watch(CM, { namespace: 'default', resourceVersion: store.currentResourceVersion(), predicate: (o) => o.metadata.labels?.app === 'web' });
    const it = w[Symbol.asyncIterator]();
    const o = await store.create(CM, cm('sel'));
    const on = await store.update(CM, { ...o, metadata: { ...o.metadata, labels: { app: 'web' } } });
    await store.update(CM, { ...on, metadata: { ...on.metadata, labels: { app: 'db' } } });
    t.same((await take(it, 2)).map((e) => e.type), ['ADDED', 'DELETED']);
    w.stop();
  });

  await t.test('watch without resourceVersion starts with synthetic ADDED; bookmarks', async (t) => {
    const s2 = await open({ bookmarkIntervalMs: 50 });
    const w = await s2.watch(CM, { namespace: 'team1', allowBookmarks: true });
    const it = w[Symbol.asyncIterator]();
    const first = await take(it, 25);
    t.ok(first.every((e) => e.type === 'ADDED'));
    let ev: WatchEvent;
    do ev = (await it.next()).value as WatchEvent; while (ev.type !== 'BOOKMARK');
    t.same(Object.keys(ev.object), ['metadata']);
    t.ok(Number(ev.object.metadata.resourceVersion) > 0);
    w.stop();
  });

  await t.test('below the compaction floor list/watch give 410 Gone', async (t) => {
    const s3 = await open({ watchWindow: 5 });
    const old = s3.currentResourceVersion();
    for (let i = 0; i < 10; i++) await s3.create(CM, cm(`gone-${i}`));
    const err = await s3.watch(CM, { resourceVersion: old }).catch((e: unknown) => e);
    t.match(err, { code: 410, reason: 'Expired' });
    t.match((err as Error).message, /too old resource version/);
    s3.compact(Number(s3.currentResourceVersion()));
    await t.rejects(s3.watch(CM, { resourceVersion: String(Number(s3.currentResourceVersion()) - 1) }), { code: 410 });
  });

  await t.test('10,000 objects list consistently while writes continue', async (t) => {
    const N = 10_000;
    const names = Array.from({ length: N }, (_, i) => `bulk-${i}`);
    for (let i = 0; i < N; i += 200) await Promise.all(names.slice(i, i + 200).map((n) => store.create(CM, cm(n, { v: '0' }))));
    const base = await store.list(CM, { namespace: 'default', predicate: (o) => o.metadata.name!.startsWith('bulk-') });
    const w = await store.watch(CM, { namespace: 'default', resourceVersion: base.metadata.resourceVersion, predicate: (o) => o.metadata.name!.startsWith('bulk-') });
    t.equal(base.items.length, N);
    let stop = false;
    let updates = 0;
    const writer = (async () => {
      while (!stop) {
        const batch = Array.from({ length: 50 }, () => names[Math.floor(Math.random() * N)]!);
        await Promise.all([...new Set(batch)].map((n) => store.guaranteedUpdate(CM, 'default', n, (c) => ({ ...c, data: { v: String(++updates) } }))));
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const snap = await store.list(CM, { namespace: 'default', predicate: (o) => o.metadata.name!.startsWith('bulk-') });
    const snapRv = Number(snap.metadata.resourceVersion);
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await writer;
    t.ok(updates > 0, 'writes happened during the list');
    // Rebuild the state at the snapshot's revision from the base list plus the watch events.
    const state = new Map(base.items.map((o) => [o.metadata.name!, o.metadata.resourceVersion!]));
    const it = w[Symbol.asyncIterator]();
    for (;;) {
      const r = await Promise.race([it.next(), new Promise<null>((res) => setTimeout(() => res(null), 500))]);
      if (!r || r.done) break;
      if (Number(r.value.object.metadata.resourceVersion) <= snapRv) state.set(r.value.object.metadata.name!, r.value.object.metadata.resourceVersion!);
    }
    w.stop();
    t.equal(snap.items.length, N);
    const mismatches = snap.items.filter((o) => state.get(o.metadata.name!) !== o.metadata.resourceVersion).length;
    t.equal(mismatches, 0, 'the list equals the state at its resourceVersion');
  });

  await t.test('guaranteedUpdate with mutatorCopies writes without touching the cached object', async (t) => {
    const made = await store.create(CM, cm('cow', { v: '1' }));
    await waitFor(() => store.cache.lookup('configmaps', 'configmaps.default.cow')?.revision === Number(made.metadata.resourceVersion));
    const before = store.cache.lookup('configmaps', 'configmaps.default.cow')!.object;
    let given: KubeObject | undefined;
    const out = await store.guaranteedUpdate<KubeObject & { data?: Record<string, string> }>(CM, 'default', 'cow', (c) => {
      given = c;
      return { ...c, data: { v: '2' } };
    }, { mutatorCopies: true });
    t.equal(given, before, 'the mutator was given the cached object itself (no copy)');
    t.equal(before.metadata.resourceVersion, made.metadata.resourceVersion, 'the cached object is unchanged');
    t.not(out.metadata, before.metadata, 'the written object has its own metadata');
    t.ok(Number(out.metadata.resourceVersion) > Number(made.metadata.resourceVersion));
    t.same((await store.get(CM, 'default', 'cow')).data, { v: '2' });
  });

  await t.test('cacheOnly: a write-mostly client caches one resource and refuses lists and watches', async (t) => {
    await store.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'filtered' } });
    await store.create(CM, cm('before', {}, 'filtered'));
    const narrow = await open({ cacheOnly: NS });
    t.ok(narrow.cache.lookup('namespaces', 'namespaces._.filtered'), 'the cached resource is loaded');
    t.notOk(narrow.cache.lookup('configmaps', 'configmaps.filtered.before'), 'other resources are not cached');
    const made = await narrow.create(CM, cm('through-narrow', { a: '1' }, 'filtered'));
    t.same((await store.get(CM, 'filtered', 'through-narrow')).data, { a: '1' }, 'a full store sees the write');
    const updated = await narrow.guaranteedUpdate<KubeObject & { data?: Record<string, string> }>(CM, 'filtered', 'through-narrow', (c) => ({ ...c, data: { a: '2' } }));
    t.ok(Number(updated.metadata.resourceVersion) > Number(made.metadata.resourceVersion), 'updates read the current object from the bucket');
    t.same((await narrow.get(CM, 'filtered', 'before')).metadata.name, 'before', 'get reads from the bucket');
    const refused = await narrow.list(CM).catch((e: unknown) => e);
    t.ok(isStatusError(refused, 'InternalError'));
    t.match((refused as Error).message, /caches only namespaces, so it cannot list configmaps/);
    t.rejects(narrow.watch(NS), /cannot watch namespaces/, 'no watch, even of the cached resource (no consistent revision)');
    // The namespace check still sees a terminating namespace through the cache.
    await store.delete(NS, undefined, 'filtered', { addFinalizers: ['kite.dev/test'] });
    await waitFor(() => !!narrow.cache.lookup('namespaces', 'namespaces._.filtered')?.object.metadata.deletionTimestamp);
    const forbidden = await narrow.create(CM, cm('late', {}, 'filtered')).catch((e: unknown) => e);
    t.ok(isStatusError(forbidden, 'Forbidden'), 'creating in a terminating namespace is Forbidden');
  });
});

t.test('kill -9 during a burst of writes: every acknowledged write survives', async (t) => {
  const nats = await startTestNats(t);
  const writerPath = fileURLToPath(new URL('./fixtures/writer.js', import.meta.url));
  const acked: string[] = [];
  {
    const s = await openObjectStore(await nats.connect(), {});
    await s.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    await s.close();
  }
  const child = spawn(process.execPath, [writerPath, nats.url, 'crash'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  await new Promise<void>((resolve) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      acked.push(...lines);
      if (acked.length >= 1500) resolve();
    });
  });
  child.kill('SIGKILL');
  await nats.kill();
  const restarted = await nats.restart();
  const s = await openObjectStore(await restarted.connect(), {});
  t.teardown(() => s.close());
  const stored = new Set((await s.list(CM, { namespace: 'default' })).items.map((o) => o.metadata.name));
  const lost = acked.filter((n) => !stored.has(n));
  t.ok(acked.length >= 1500);
  t.same(lost, [], `all ${acked.length} acknowledged writes are there after the restart`);
});
