// The REST layer over plain HTTP against the real object store on a real nats-server: CRUD,
// selectors, paging, Tables, watch streams, patches, deletes, subresources and bad input.
import t from 'tap';
import type { KubeObject } from '../../objects/types.js';
import type { ObjectStore, Watch } from '../../store/types.js';
import { openObjectStore } from '../../store/mod.js';
import { startTestNats } from '../../testing/nats.js';
import { applyPatch, recordUpdate, serverSideApply } from '../patch/mod.js';
import { toTable } from '../printers/mod.js';
import { unknownFields } from '../../objects/schema/mod.js';
import { call, openWatch, startRestServer, type TestApi } from './testkit.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const PODS = '/api/v1/namespaces/default/pods';
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...extra },
});

const deployment = (name: string, replicas = 2) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
});

/** Counts store watches started and stopped, to prove a client disconnect frees the watch. */
function countingStore(store: ObjectStore): { store: ObjectStore; watches: { started: number; stopped: number } } {
  const watches = { started: 0, stopped: 0 };
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'watch') {
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      }
      return async (...args: Parameters<ObjectStore['watch']>): Promise<Watch> => {
        const w = await target.watch(...args);
        watches.started++;
        let stopped = false;
        return {
          [Symbol.asyncIterator]: () => w[Symbol.asyncIterator](),
          stop: () => {
            if (!stopped) watches.stopped++;
            stopped = true;
            w.stop();
          },
        };
      };
    },
  });
  return { store: wrapped, watches };
}

async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

t.test('REST layer on the real store', async (t) => {
  const nats = await startTestNats(t);
  const realStore = await openObjectStore(await nats.connect(), { watchWindow: 1000 });
  t.teardown(() => realStore.close());
  await realStore.create({ group: '', resource: 'namespaces', namespaced: false }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const { store, watches } = countingStore(realStore);
  const served: string[] = [];
  const api: TestApi = await startRestServer(t, store, {
    // Stands in for a protobuf decoder: proves other media types plug in.
    bodyDecoders: { 'application/x-reversed-json': (body) => JSON.parse(body.toString('utf8').split('').reverse().join('')) },
    subresourceHandlers: {
      'pods/exec': async (req) => {
        served.push(`${req.name}/${req.subresource}`);
        req.res.writeHead(200).end('ok');
      },
    },
  });

  await t.test('create, get, and requests that must not match the URL', async (t) => {
    const created = await call(api, 'POST', CMS, cm('a', { app: 'web' }, { k: 'v' }));
    t.equal(created.status, 201);
    t.match(created.body, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' }, data: { k: 'v' } });
    t.match(created.body.metadata.uid, /^[0-9a-f-]{36}$/);
    const got = await call(api, 'GET', `${CMS}/a`);
    t.equal(got.status, 200);
    t.equal(got.body.metadata.resourceVersion, created.body.metadata.resourceVersion);

    const dup = await call(api, 'POST', CMS, cm('a'));
    t.match(dup, { status: 409, body: { kind: 'Status', reason: 'AlreadyExists', message: 'configmaps "a" already exists' } });
    const otherNs = await call(api, 'POST', CMS, { ...cm('b'), metadata: { name: 'b', namespace: 'kube-system' } });
    t.match(otherNs, { status: 400, body: { reason: 'BadRequest', message: 'the namespace of the provided object does not match the namespace sent on the request' } });
    const wrongKind = await call(api, 'POST', CMS, { ...cm('b'), kind: 'Secret' });
    t.match(wrongKind, { status: 400, body: { message: 'the kind in the data (Secret) does not match the expected kind (ConfigMap)' } });
    const wrongVersion = await call(api, 'POST', CMS, { ...cm('b'), apiVersion: 'apps/v1' });
    t.match(wrongVersion, { status: 400, body: { message: 'the API version in the data (apps/v1) does not match the expected API version (v1)' } });
    const missing = await call(api, 'GET', `${CMS}/nope`);
    t.match(missing, { status: 404, body: { reason: 'NotFound', message: 'configmaps "nope" not found' } });

    const yamlBody = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  when: 2024-01-01\n';
    const fromYaml = await call(api, 'POST', CMS, yamlBody, { 'content-type': 'application/yaml' });
    t.equal(fromYaml.status, 201);
    t.same(fromYaml.body.data, { when: '2024-01-01' }, 'YAML dates stay strings');
  });

  await t.test('malformed bodies are 400 and change nothing', async (t) => {
    const before = (await call(api, 'GET', CMS)).body.items.length;
    const badJson = await call(api, 'POST', CMS, '{"metadata": {', { 'content-type': 'application/json' });
    t.match(badJson, { status: 400, body: { kind: 'Status', reason: 'BadRequest', message: /^error decoding request body: json parse error: / } });
    const badYaml = await call(api, 'POST', CMS, 'metadata: [unclosed', { 'content-type': 'application/yaml' });
    t.match(badYaml, { status: 400, body: { message: /^error decoding request body: yaml parse error: / } });
    const notObject = await call(api, 'POST', CMS, '[1,2]', { 'content-type': 'application/json' });
    t.equal(notObject.status, 400);
    const badPut = await call(api, 'PUT', `${CMS}/a`, '{', { 'content-type': 'application/json' });
    t.equal(badPut.status, 400);
    const badPatch = await call(api, 'PATCH', `${CMS}/a`, '{nope', { 'content-type': 'application/merge-patch+json' });
    t.match(badPatch, { status: 400, body: { reason: 'BadRequest' } });
    const protobuf = await call(api, 'POST', CMS, 'x', { 'content-type': 'application/vnd.kubernetes.protobuf' });
    t.match(protobuf, { status: 415, body: { message: /accepted media types include: application\/json, application\/yaml, application\/x-reversed-json$/ } });
    const reversed = JSON.stringify(cm('reversed')).split('').reverse().join('');
    t.equal((await call(api, 'POST', CMS, reversed, { 'content-type': 'application/x-reversed-json' })).status, 201, 'an injected body decoder is used');
    await call(api, 'DELETE', `${CMS}/reversed`);
    t.equal((await call(api, 'GET', CMS)).body.items.length, before, 'nothing was created');
    t.same((await call(api, 'GET', `${CMS}/a`)).body.data, { k: 'v' }, 'nothing was changed');
  });

  await t.test('generateName and dryRun', async (t) => {
    const gen = await call(api, 'POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
    t.equal(gen.status, 201);
    t.match(gen.body.metadata.name, /^gen-[a-z0-9]{5}$/);
    t.equal((await call(api, 'GET', `${CMS}/${gen.body.metadata.name}`)).status, 200);

    const dry = await call(api, 'POST', `${CMS}?dryRun=All`, cm('dry'));
    t.equal(dry.status, 201);
    t.equal(dry.body.metadata.name, 'dry');
    t.equal((await call(api, 'GET', `${CMS}/dry`)).status, 404, 'a dry run stores nothing');
    const dryDup = await call(api, 'POST', `${CMS}?dryRun=All`, cm('a'));
    t.equal(dryDup.status, 409, 'a dry run fails like the real create');
    const dryPatch = await call(api, 'PATCH', `${CMS}/a?dryRun=All`, { data: { k: 'dry' } }, { 'content-type': 'application/merge-patch+json' });
    t.equal(dryPatch.body.data.k, 'dry');
    t.equal((await call(api, 'GET', `${CMS}/a`)).body.data.k, 'v', 'a dry-run patch stores nothing');
    const dryDelete = await call(api, 'DELETE', `${CMS}/a?dryRun=All`);
    t.equal(dryDelete.status, 200);
    t.equal((await call(api, 'GET', `${CMS}/a`)).status, 200, 'a dry-run delete deletes nothing');
    t.equal((await call(api, 'POST', `${CMS}?dryRun=Some`, cm('x'))).status, 400);
  });

  await t.test('fieldValidation', async (t) => {
    const typo = pod('typo', { containers: [{ name: 'c', imagee: 'busybox' }] });
    const strict = await call(api, 'POST', `${PODS}?fieldValidation=Strict`, typo);
    t.match(strict, {
      status: 400,
      body: { reason: 'BadRequest', message: 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee"' },
    });
    t.equal((await call(api, 'GET', `${PODS}/typo`)).status, 404);
    const warned = await call(api, 'POST', PODS, typo);
    t.equal(warned.status, 201);
    t.equal(warned.headers.get('warning'), '299 - "unknown field \\"spec.containers[0].imagee\\""');
    t.equal((await call(api, 'POST', `${PODS}?fieldValidation=Loose`, pod('loose'))).status, 400);
  });

  await t.test('update: compare-and-swap, no-op writes, name checks', async (t) => {
    const current = (await call(api, 'GET', `${CMS}/a`)).body;
    const updated = await call(api, 'PUT', `${CMS}/a`, { ...current, data: { k: 'v2' } });
    t.equal(updated.status, 200);
    t.not(updated.body.metadata.resourceVersion, current.metadata.resourceVersion);
    const stale = await call(api, 'PUT', `${CMS}/a`, { ...current, data: { k: 'stale' } });
    t.match(stale, {
      status: 409,
      body: { reason: 'Conflict', message: 'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again' },
    });
    const same = await call(api, 'PUT', `${CMS}/a`, updated.body);
    t.equal(same.body.metadata.resourceVersion, updated.body.metadata.resourceVersion, 'an identical update writes nothing');
    const renamed = await call(api, 'PUT', `${CMS}/a`, { ...updated.body, metadata: { ...updated.body.metadata, name: 'zzz' } });
    t.match(renamed, { status: 400, body: { message: 'the name of the object (zzz) does not match the name on the URL (a)' } });
    const unconditional = await call(api, 'PUT', `${CMS}/a`, { ...cm('a', { app: 'web' }, { k: 'v3' }) });
    t.equal(unconditional.status, 200, 'without a resourceVersion the update is unconditional');
    t.equal((await call(api, 'PUT', `${CMS}/nope`, cm('nope'))).status, 404);
  });

  await t.test('list: selectors, paging, Table and metadata-only answers', async (t) => {
    for (const [name, tier] of [['l1', 'front'], ['l2', 'back'], ['l3', 'front']]) await call(api, 'POST', CMS, cm(name, { group: 'list', tier }));
    const all = await call(api, 'GET', `${CMS}?labelSelector=group%3Dlist`);
    t.match(all.body, { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: /^\d+$/ } });
    t.same(all.body.items.map((i: KubeObject) => i.metadata.name), ['l1', 'l2', 'l3']);
    t.ok(all.body.items.every((i: KubeObject) => i.apiVersion === 'v1' && i.kind === 'ConfigMap'), 'items carry apiVersion and kind');
    const sel = (q: string) => call(api, 'GET', `${CMS}?${q}`).then((r) => r.body.items?.map((i: KubeObject) => i.metadata.name));
    t.same(await sel('labelSelector=' + encodeURIComponent('group=list,tier in (front)')), ['l1', 'l3']);
    t.same(await sel('labelSelector=' + encodeURIComponent('group=list,tier!=front')), ['l2']);
    t.same(await sel('labelSelector=' + encodeURIComponent('group=list,!tier')), []);
    t.same(await sel('fieldSelector=metadata.name%3Dl2'), ['l2']);
    t.same(await sel('labelSelector=group%3Dlist&fieldSelector=metadata.name!%3Dl2'), ['l1', 'l3']);
    const badField = await call(api, 'GET', `${CMS}?fieldSelector=data.k%3Dv`);
    t.match(badField, { status: 400, body: { reason: 'BadRequest', message: 'field label not supported: data.k' } });
    const badLabel = await call(api, 'GET', `${CMS}?labelSelector=app%3Amonolith`);
    t.match(badLabel, { status: 400, body: { message: /^unable to parse requirement: <nil>: Invalid value: "app:monolith": name part must consist of/ } });

    const page1 = await call(api, 'GET', `${CMS}?labelSelector=group%3Dlist&limit=2`);
    t.equal(page1.body.items.length, 2);
    t.ok(page1.body.metadata.continue, 'a continue token for the rest');
    const page2 = await call(api, 'GET', `${CMS}?labelSelector=group%3Dlist&limit=2&continue=${encodeURIComponent(page1.body.metadata.continue)}`);
    t.same(page2.body.items.map((i: KubeObject) => i.metadata.name), ['l3']);
    t.notOk(page2.body.metadata.continue);

    const table = await call(api, 'GET', `${CMS}?labelSelector=group%3Dlist`, undefined, { accept: TABLE_ACCEPT });
    t.match(table.body, { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: /^\d+$/ }, columnDefinitions: [{ name: 'Name' }] });
    t.same(table.body.rows.map((r: { cells: string[] }) => r.cells[0]), ['l1', 'l2', 'l3']);
    t.match(table.body.rows[0].object, { kind: 'PartialObjectMetadata', metadata: { name: 'l1', labels: { tier: 'front' } } });
    const tableFull = await call(api, 'GET', `${CMS}/l1?includeObject=Object`, undefined, { accept: TABLE_ACCEPT });
    t.match(tableFull.body.rows[0].object, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'l1' } });
    const partial = await call(api, 'GET', `${CMS}?labelSelector=group%3Dlist`, undefined, { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' });
    t.match(partial.body, { kind: 'PartialObjectMetadataList', items: [{ kind: 'PartialObjectMetadata', metadata: { name: 'l1' } }] });
    t.notOk(partial.body.items[0].data, 'metadata only');
    t.equal((await call(api, 'GET', CMS, undefined, { accept: 'application/vnd.kubernetes.protobuf' })).status, 406);
  });

  await t.test('events by involvedObject (kubectl describe)', async (t) => {
    const ev = (name: string, target: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name },
      involvedObject: { kind: 'Pod', name: target, namespace: 'default', uid: `uid-${target}` },
      reason: 'Scheduled',
      type: 'Normal',
      source: { component: 'scheduler' },
    });
    await call(api, 'POST', '/api/v1/namespaces/default/events', ev('e1', 'p1'));
    await call(api, 'POST', '/api/v1/namespaces/default/events', ev('e2', 'p2'));
    const q = encodeURIComponent('involvedObject.name=p1,involvedObject.namespace=default,involvedObject.uid=uid-p1');
    const found = await call(api, 'GET', `/api/v1/namespaces/default/events?fieldSelector=${q}`);
    t.same(found.body.items.map((i: KubeObject) => i.metadata.name), ['e1']);
    const bySource = await call(api, 'GET', `/api/v1/events?fieldSelector=${encodeURIComponent('source=scheduler,type=Normal')}`);
    t.equal(bySource.body.items.length, 2, 'cluster-wide list across namespaces');
  });

  await t.test('patch and server-side apply', async (t) => {
    const merge = { 'content-type': 'application/merge-patch+json' };
    const labelled = await call(api, 'PATCH', `${CMS}/a`, { metadata: { labels: { extra: 'yes' } } }, merge);
    t.equal(labelled.status, 200);
    t.same(labelled.body.metadata.labels, { app: 'web', extra: 'yes' });
    t.equal((await call(api, 'PATCH', `${CMS}/nope`, { data: {} }, merge)).status, 404, 'patching a missing object is 404');
    const stale = await call(api, 'PATCH', `${CMS}/a`, { metadata: { resourceVersion: '1' }, data: { k: 'x' } }, merge);
    t.equal(stale.status, 409, 'a resourceVersion in the patch is a precondition');
    const renaming = await call(api, 'PATCH', `${CMS}/a`, { metadata: { name: 'other' } }, merge);
    t.equal(renaming.status, 400);
    const unsupported = await call(api, 'PATCH', `${CMS}/a`, { data: {} }, { 'content-type': 'text/plain' });
    t.match(unsupported, { status: 415, body: { reason: 'UnsupportedMediaType' } });

    const apply = { 'content-type': 'application/apply-patch+yaml' };
    const applyBody = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: "1"\n';
    const created = await call(api, 'PATCH', `${CMS}/applied?fieldManager=kubectl&force=true`, applyBody, apply);
    t.equal(created.status, 201, 'apply creates a missing object');
    t.match(created.body, { metadata: { name: 'applied', namespace: 'default', managedFields: [{ manager: 'kubectl', operation: 'Apply' }] }, data: { a: '1' } });
    const updated = await call(api, 'PATCH', `${CMS}/applied?fieldManager=kubectl`, applyBody.replace('"1"', '"2"'), apply);
    t.equal(updated.status, 200);
    t.equal(updated.body.data.a, '2');
    t.equal((await call(api, 'PATCH', `${CMS}/applied`, applyBody, apply)).status, 400, 'apply needs a fieldManager');
  });

  await t.test('delete and deletecollection', async (t) => {
    const gone = await call(api, 'DELETE', `${CMS}/l2`);
    t.match(gone, { status: 200, body: { kind: 'Status', status: 'Success', details: { name: 'l2', kind: 'configmaps' } } });
    t.equal((await call(api, 'GET', `${CMS}/l2`)).status, 404);
    t.equal((await call(api, 'DELETE', `${CMS}/l2`)).status, 404);

    await call(api, 'POST', CMS, { ...cm('held'), metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    const held = await call(api, 'DELETE', `${CMS}/held`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
    t.equal(held.status, 200);
    t.match(held.body, { kind: 'ConfigMap', metadata: { name: 'held', deletionTimestamp: /Z$/ } }, 'kept by a finalizer: the object is returned');
    const precondition = await call(api, 'DELETE', `${CMS}/l1`, { preconditions: { uid: 'not-the-uid' } });
    t.equal(precondition.status, 409);
    t.equal((await call(api, 'DELETE', `${CMS}/l1`, { propagationPolicy: 'Sideways' })).status, 400);

    const collection = await call(api, 'DELETE', `${CMS}?labelSelector=group%3Dlist`);
    t.match(collection.body, { kind: 'ConfigMapList', items: [{ metadata: { name: 'l1' } }, { metadata: { name: 'l3' } }] });
    t.same((await call(api, 'GET', `${CMS}?labelSelector=group%3Dlist`)).body.items, []);
    t.equal((await call(api, 'GET', `${CMS}/a`)).status, 200, 'unselected objects stay');
  });

  await t.test('watch streams changes and frees the store watch', async (t) => {
    const rv = (await call(api, 'GET', CMS)).body.metadata.resourceVersion;
    const w = await openWatch(api, `${CMS}?watch=true&resourceVersion=${rv}&labelSelector=w%3D1`);
    t.equal(w.status, 200);
    t.equal(w.headers.get('content-type'), 'application/json');
    await call(api, 'POST', CMS, cm('w1', { w: '1' }));
    await call(api, 'PATCH', `${CMS}/w1`, { data: { x: 'y' } }, { 'content-type': 'application/merge-patch+json' });
    await call(api, 'POST', CMS, cm('not-watched'));
    await call(api, 'DELETE', `${CMS}/w1`);
    const events = [await w.next(), await w.next(), await w.next()];
    t.same(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    t.match(events[0].object, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1' } });
    t.same(events[1].object.data, { x: 'y' });
    w.close();
    t.ok(watches.started > watches.stopped, 'the store watch runs while the client listens');
    await eventually(() => watches.stopped === watches.started, 'the store watch to stop after the client left');

    const one = await openWatch(api, `${CMS}?watch=true&fieldSelector=metadata.name%3Da&timeoutSeconds=1`);
    const first = await one.next();
    t.match(first, { type: 'ADDED', object: { metadata: { name: 'a' } } }, 'rv unset: current state first');
    t.equal(await one.next(), undefined, 'the stream ends after timeoutSeconds');

    const tableWatch = await openWatch(api, `${CMS}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dtw`, { accept: TABLE_ACCEPT });
    await call(api, 'POST', CMS, cm('tw'));
    await call(api, 'PATCH', `${CMS}/tw`, { data: { n: '1' } }, { 'content-type': 'application/merge-patch+json' });
    const t1 = await tableWatch.next();
    const t2 = await tableWatch.next();
    t.match(t1, { type: 'ADDED', object: { kind: 'Table', columnDefinitions: [{ name: 'Name' }], rows: [{ cells: ['tw'] }] } });
    t.match(t2, { type: 'MODIFIED', object: { kind: 'Table', columnDefinitions: [], rows: [{ cells: ['tw'] }] } });
    tableWatch.close();
  });

  await t.test('watch from a compacted resourceVersion gets a 410 ERROR event', async (t) => {
    const old = (await call(api, 'GET', CMS)).body.metadata.resourceVersion;
    await call(api, 'POST', CMS, cm('after-compaction'));
    // A consistent list waits until the store's cache holds the write, so compaction covers it.
    const newer = (await call(api, 'GET', CMS)).body.metadata.resourceVersion;
    t.ok(Number(newer) > Number(old));
    realStore.compact(Number(newer));
    const w = await openWatch(api, `${CMS}?watch=true&resourceVersion=${old}`);
    t.equal(w.status, 200);
    const ev = await w.next();
    t.match(ev, { type: 'ERROR', object: { kind: 'Status', status: 'Failure', code: 410, reason: 'Expired', message: /too old resource version/ } });
    t.equal(await w.next(), undefined, 'and the stream ends');
  });

  await t.test('status subresource', async (t) => {
    const created = await call(api, 'POST', DEPLOYS, deployment('web'));
    t.equal(created.status, 201);
    const withStatus = await call(api, 'PUT', `${DEPLOYS}/web/status`, { ...created.body, spec: { ...created.body.spec, replicas: 9 }, status: { replicas: 2 } });
    t.equal(withStatus.status, 200);
    t.equal(withStatus.body.status.replicas, 2, 'status written');
    t.equal(withStatus.body.spec.replicas, 2, 'spec unchanged by a status write');
    const main = await call(api, 'PUT', `${DEPLOYS}/web`, { ...withStatus.body, spec: { ...withStatus.body.spec, replicas: 3 }, status: { replicas: 99 } });
    t.equal(main.body.spec.replicas, 3);
    t.same(main.body.status, { replicas: 2 }, 'a main-resource update keeps the stored status');
    const patched = await call(api, 'PATCH', `${DEPLOYS}/web/status`, { status: { readyReplicas: 1 }, spec: { replicas: 50 } }, { 'content-type': 'application/merge-patch+json' });
    t.same(patched.body.status, { replicas: 2, readyReplicas: 1 });
    t.equal(patched.body.spec.replicas, 3);
    const got = await call(api, 'GET', `${DEPLOYS}/web/status`);
    t.equal(got.body.kind, 'Deployment');
  });

  await t.test('scale subresource', async (t) => {
    const scale = await call(api, 'GET', `${DEPLOYS}/web/scale`);
    t.same(scale.body.spec, { replicas: 3 });
    t.match(scale.body, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', namespace: 'default' }, status: { replicas: 2, selector: 'app=web' } });
    const patched = await call(api, 'PATCH', `${DEPLOYS}/web/scale`, { spec: { replicas: 5 } }, { 'content-type': 'application/merge-patch+json' });
    t.equal(patched.body.spec.replicas, 5);
    t.equal((await call(api, 'GET', `${DEPLOYS}/web`)).body.spec.replicas, 5, 'the deployment is scaled');
    const put = await call(api, 'PUT', `${DEPLOYS}/web/scale`, { ...patched.body, spec: { replicas: 1 } });
    t.equal(put.body.spec.replicas, 1);
    const stale = await call(api, 'PUT', `${DEPLOYS}/web/scale`, { ...patched.body, spec: { replicas: 4 } });
    t.equal(stale.status, 409, 'a stale Scale resourceVersion conflicts');
    const negative = await call(api, 'PUT', `${DEPLOYS}/web/scale`, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web' }, spec: { replicas: -1 } });
    t.match(negative, { status: 422, body: { reason: 'Invalid', message: /spec\.replicas: Invalid value: -1: must be greater than or equal to 0/ } });
    t.equal((await call(api, 'GET', `${DEPLOYS}/web`)).body.spec.replicas, 1);
  });

  await t.test('pods: binding, eviction, streams', async (t) => {
    await call(api, 'POST', PODS, pod('bind-me'));
    const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-me' }, target: { kind: 'Node', name: 'node-1' } };
    const bound = await call(api, 'POST', `${PODS}/bind-me/binding`, binding);
    t.match(bound, { status: 201, body: { kind: 'Status', status: 'Success' } });
    const p = (await call(api, 'GET', `${PODS}/bind-me`)).body;
    t.equal(p.spec.nodeName, 'node-1');
    t.match(p.status.conditions, [{ type: 'PodScheduled', status: 'True' }]);
    const again = await call(api, 'POST', `${PODS}/bind-me/binding`, { ...binding, target: { kind: 'Node', name: 'node-2' } });
    t.match(again, { status: 409, body: { reason: 'Conflict', message: 'Operation cannot be fulfilled on pods/binding "bind-me": pod bind-me is already assigned to node "node-1"' } });
    t.equal((await call(api, 'GET', `${PODS}/bind-me`)).body.spec.nodeName, 'node-1');

    const evicted = await call(api, 'POST', `${PODS}/bind-me/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'bind-me' } });
    t.match(evicted, { status: 201, body: { status: 'Success' } });
    t.equal((await call(api, 'GET', `${PODS}/bind-me`)).status, 404);

    await call(api, 'POST', PODS, pod('streams'));
    const logs = await call(api, 'GET', `${PODS}/streams/log`);
    t.match(logs, { status: 503, body: { reason: 'ServiceUnavailable', message: /no node agent/ } });
    const exec = await call(api, 'POST', `${PODS}/streams/exec?command=ls`);
    t.equal(exec.status, 200, 'an injected handler serves exec');
    t.same(served, ['streams/exec']);
  });

  await t.test('wired to the real patch library, printers and schema', async (t) => {
    const real = await startRestServer(t, store, { patch: { applyPatch, serverSideApply, recordUpdate }, toTable, unknownFields });
    const d = deployment('real');
    d.spec.template.spec.containers.push({ name: 'side', image: 'busybox' });
    t.equal((await call(real, 'POST', `${DEPLOYS}?fieldManager=kubectl-client-side-apply`, d)).status, 201);
    const smp = await call(real, 'PATCH', `${DEPLOYS}/real`, { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } }, { 'content-type': 'application/strategic-merge-patch+json' });
    t.equal(smp.status, 200);
    t.same(smp.body.spec.template.spec.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`), ['c=nginx:2', 'side=busybox'], 'containers merged by name');
    const jp = await call(real, 'PATCH', `${DEPLOYS}/real`, [{ op: 'replace', path: '/spec/replicas', value: 4 }], { 'content-type': 'application/json-patch+json' });
    t.equal(jp.body.spec.replicas, 4);
    const scaled = await call(real, 'PATCH', `${DEPLOYS}/real/scale`, { spec: { replicas: 6 } }, { 'content-type': 'application/merge-patch+json' });
    t.equal(scaled.body.spec.replicas, 6);

    const applyYaml = (replicas: number) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: real\nspec:\n  replicas: ${replicas}\n`;
    const apply = { 'content-type': 'application/apply-patch+yaml' };
    const conflict = await call(real, 'PATCH', `${DEPLOYS}/real?fieldManager=other`, applyYaml(2), apply);
    t.match(conflict, { status: 409, body: { reason: 'Conflict' } }, 'apply over another manager\'s field conflicts');
    const forced = await call(real, 'PATCH', `${DEPLOYS}/real?fieldManager=other&force=true`, applyYaml(2), apply);
    t.equal(forced.status, 200);
    t.equal(forced.body.spec.replicas, 2);

    const strict = await call(real, 'POST', `${PODS}?fieldValidation=Strict`, pod('strict-real', { containers: [{ name: 'c', imagee: 'x' }] }));
    t.match(strict, { status: 400, body: { message: 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee"' } });
    const table = await call(real, 'GET', DEPLOYS, undefined, { accept: TABLE_ACCEPT });
    t.same(table.body.columnDefinitions.slice(0, 3).map((c: { name: string }) => c.name), ['Name', 'Ready', 'Up-to-date']);
    t.ok(table.body.rows.some((r: { cells: unknown[] }) => r.cells[0] === 'real'));
  });
});
