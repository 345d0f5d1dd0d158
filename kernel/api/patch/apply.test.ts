import t from 'tap';
import type { KubeObject, ManagedFieldsEntry } from '../../objects/types.js';
import { FieldSet, parseApplyConfiguration, recordUpdate, serverSideApply } from './mod.js';
import { deepFreeze, resourceType, sharesFrozen, statusOf } from './test-helpers.js';

const deployments = resourceType('apps', 'deployments');
const configmaps = resourceType('', 'configmaps');
const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-01-01T00:05:00.000Z');
const T2 = new Date('2026-01-01T00:10:00.000Z');

function config(replicas: number, image = 'nginx:1.25', extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image, ports: [{ containerPort: 80 }] }] },
      },
      ...extra,
    },
  };
}

/** What the store would hold: the server's own fields added after a write. */
function stored(o: KubeObject, rv: number): KubeObject {
  const copy = structuredClone(o) as KubeObject & { spec: any };
  copy.metadata.uid = 'uid-1';
  copy.metadata.resourceVersion = String(rv);
  copy.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
  copy.spec.template.spec.containers[0].terminationMessagePath ??= '/dev/termination-log';
  copy.spec.strategy ??= { type: 'RollingUpdate' };
  return deepFreeze(copy);
}

function apply(current: KubeObject | undefined, applied: KubeObject, manager: string, force: boolean, now: Date, rt = deployments): KubeObject {
  const out = serverSideApply(current, deepFreeze(structuredClone(applied)), { manager, force, rt, now });
  if (sharesFrozen(out)) throw new Error('result shares structure with an input');
  return out;
}

function entry(o: KubeObject, manager: string): ManagedFieldsEntry | undefined {
  return o.metadata.managedFields?.find((e) => e.manager === manager);
}

const spec = (o: KubeObject) => o.spec as any;

t.test('apply creates, re-applies unchanged, then changes', async (t) => {
  const created = apply(undefined, config(3), 'kubectl', false, T0);
  t.equal(spec(created).replicas, 3);
  t.same(created.metadata.managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: '2026-01-01T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"nginx"}': {
                  '.': {},
                  'f:image': {},
                  'f:name': {},
                  'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                },
              },
            },
          },
        },
      },
    },
  ]);

  const withStatus = apply(undefined, { ...config(1), status: { replicas: 9 } }, 'kubectl', false, T0);
  t.equal(withStatus.status, undefined, 'status in an apply to the main resource is ignored');

  const live = stored(created, 1);
  const again = apply(live, config(3), 'kubectl', false, T1);
  t.same(again, live, 'an unchanged apply changes nothing, not even the time');

  const changed = apply(live, config(3, 'nginx:1.26'), 'kubectl', false, T1);
  t.equal(spec(changed).template.spec.containers[0].image, 'nginx:1.26');
  t.equal(spec(changed).template.spec.containers[0].terminationMessagePath, '/dev/termination-log', 'server defaults stay');
  t.equal(changed.metadata.uid, 'uid-1');
  t.equal(entry(changed, 'kubectl')?.time, '2026-01-01T00:05:00Z');
});

t.test('a field no longer applied is removed unless someone else owns it', async (t) => {
  const withLabel = config(3);
  withLabel.metadata.labels = { app: 'web', tier: 'front' };
  const live = stored(apply(undefined, withLabel, 'kubectl', false, T0), 1);
  const dropped = apply(live, config(3), 'kubectl', false, T1);
  t.equal(dropped.metadata.labels, undefined, 'labels applied before and not now are gone (empty map dropped)');
  t.equal(entry(dropped, 'kubectl')?.time, '2026-01-01T00:05:00Z', 'a removal is a change');

  const sidecar = config(3) as KubeObject & { spec: any };
  sidecar.spec.template.spec.containers.push({ name: 'log', image: 'busybox' });
  const two = stored(apply(undefined, sidecar, 'kubectl', false, T0), 1);
  const one = apply(two, config(3), 'kubectl', false, T1);
  t.same(
    spec(one).template.spec.containers.map((c: { name: string }) => c.name),
    ['nginx'],
    'a container applied before and not now is removed',
  );

  // Another manager labels the object; the applier dropping its own label leaves that one.
  const labelled = stored(
    recordUpdate(live, { ...live, metadata: { ...live.metadata, labels: { app: 'web', tier: 'front', team: 'a' } } }, 'kubectl-label', deployments, T1),
    2,
  );
  const after = apply(labelled, config(3), 'kubectl', false, T2);
  t.same(after.metadata.labels, { team: 'a' }, "other managers' fields stay");
  t.ok(entry(after, 'kubectl-label'));
});

t.test('scale conflicts with a later apply unless forced', async (t) => {
  const live = stored(apply(undefined, config(3), 'kubectl', false, T0), 1);
  const scaled = stored(recordUpdate(live, { ...live, spec: { ...spec(live), replicas: 5 } }, 'kubectl-scale', deployments, T1, 'scale'), 2);
  t.same(entry(scaled, 'kubectl-scale'), {
    manager: 'kubectl-scale',
    operation: 'Update',
    apiVersion: 'apps/v1',
    time: '2026-01-01T00:05:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    subresource: 'scale',
  });
  t.notOk(FieldSet.fromFieldsV1(entry(scaled, 'kubectl')?.fieldsV1).has(['f:spec', 'f:replicas']), 'the applier lost .spec.replicas');

  const same = apply(scaled, config(5), 'kubectl', false, T2);
  t.equal(spec(same).replicas, 5, 'applying the value the other owner set is no conflict');
  t.ok(FieldSet.fromFieldsV1(entry(same, 'kubectl-scale')?.fieldsV1).has(['f:spec', 'f:replicas']), 'ownership is shared');

  const err = statusOf(() => apply(scaled, config(3), 'kubectl', false, T2));
  t.equal(err.code, 409);
  t.equal(err.reason, 'Conflict');
  t.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-scale" with subresource "scale" using apps/v1: .spec.replicas');
  t.same(err.details?.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-scale" with subresource "scale" using apps/v1', field: '.spec.replicas' }]);

  const forced = apply(scaled, config(3), 'kubectl', true, T2);
  t.equal(spec(forced).replicas, 3);
  t.equal(entry(forced, 'kubectl-scale'), undefined, 'the loser with nothing left disappears');
  t.ok(FieldSet.fromFieldsV1(entry(forced, 'kubectl')?.fieldsV1).has(['f:spec', 'f:replicas']));
});

t.test('conflicts with client-side apply and between appliers', async (t) => {
  const created = stored(recordUpdate(undefined, config(2), 'kubectl-client-side-apply', deployments, T0), 1);
  const csa = entry(created, 'kubectl-client-side-apply');
  t.same((csa?.fieldsV1 as any)['f:spec']['f:template']['f:metadata'], { 'f:labels': { '.': {}, 'f:app': {} } }, 'an Update owns the maps it creates');
  const err = statusOf(() => apply(created, config(4, 'nginx:2'), 'kubectl', false, T1));
  t.equal(err.message.split('\n')[0], 'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:');
  t.same(
    err.details?.causes?.map((c) => c.field),
    ['.spec.replicas', '.spec.template.spec.containers[name="nginx"].image'],
  );

  const first = stored(apply(undefined, config(2), 'alpha', false, T0), 1);
  const clash = statusOf(() => apply(first, config(3), 'beta', false, T1));
  t.equal(clash.message, 'Apply failed with 1 conflict: conflict with "alpha": .spec.replicas', 'Apply managers are named without version');
});

t.test('an untracked object belongs to before-first-apply', async (t) => {
  const untracked = deepFreeze({ ...structuredClone(config(2)), metadata: { name: 'web', namespace: 'default', uid: 'u' } });
  const err = statusOf(() => apply(untracked, config(3), 'kubectl', false, T1));
  t.equal(err.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
  const same = apply(untracked, config(2), 'kubectl', false, T1);
  t.same(
    same.metadata.managedFields?.map((e) => [e.manager, e.operation]),
    [
      ['kubectl', 'Apply'],
      ['before-first-apply', 'Update'],
    ],
  );
});

t.test('switching from client-side to server-side apply', async (t) => {
  const annotated = (o: KubeObject): KubeObject => {
    const copy = structuredClone(o);
    copy.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(o)}\n` };
    return copy;
  };
  const created = stored(recordUpdate(undefined, annotated(config(2)), 'kubectl-client-side-apply', deployments, T0), 1);
  const upgraded = apply(created, config(4, 'nginx:2'), 'kubectl', false, T1);
  t.equal(spec(upgraded).replicas, 4, 'fields the annotation still describes do not conflict');
  t.equal(spec(upgraded).template.spec.containers[0].image, 'nginx:2');
  const csa = FieldSet.fromFieldsV1(entry(upgraded, 'kubectl-client-side-apply')?.fieldsV1);
  t.notOk(csa.has(['f:spec', 'f:replicas']), 'the client-side manager lost the taken fields');
  t.same(
    JSON.parse(upgraded.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration']),
    config(4, 'nginx:2'),
    'the annotation follows the server-side apply',
  );

  // kubectl then re-applies the annotation under its own manager, which must not conflict.
  const annotation = upgraded.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration'];
  const kept = apply(
    stored(upgraded, 2),
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': annotation } } },
    'kubectl-last-applied',
    false,
    T2,
  );
  t.equal(kept.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration'], annotation);
  t.ok(entry(kept, 'kubectl-last-applied'), 'the annotation now has its own applier');

  // A field changed since the last client-side apply still conflicts.
  const drifted = stored(
    recordUpdate(created, { ...created, spec: { ...spec(created), replicas: 7 } }, 'kubectl-client-side-apply', deployments, T1),
    2,
  );
  const err = statusOf(() => apply(drifted, config(4, 'nginx:2'), 'kubectl', false, T2));
  t.same(err.details?.causes?.map((c) => c.field), ['.spec.replicas']);
  t.equal(statusOf(() => apply(created, config(4, 'nginx:2'), 'other-tool', false, T1)).code, 409, 'only the manager kubectl gets the upgrade');
});

t.test('recordUpdate bookkeeping', async (t) => {
  const cm = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
  const created = recordUpdate(undefined, deepFreeze(cm({ a: '1' })), 'creator', configmaps, T0);
  t.same(created.metadata.managedFields?.[0].fieldsV1, { 'f:data': { '.': {}, 'f:a': {} } });
  const same = recordUpdate(created, deepFreeze(structuredClone(created)), 'other', configmaps, T1);
  t.same(same.metadata.managedFields, created.metadata.managedFields, 'a no-op write records nothing');
  const edited = recordUpdate(deepFreeze(created), deepFreeze({ ...cm({ b: '2' }), metadata: created.metadata }), 'editor', configmaps, T1);
  t.same(
    edited.metadata.managedFields?.map((e) => [e.manager, e.fieldsV1]),
    [
      ['creator', { 'f:data': {} }],
      ['editor', { 'f:data': { 'f:b': {} } }],
    ],
    'removed fields leave every set; changed fields move to the writer',
  );
  // kubectl's CSA→SSA migration rewrites managedFields with a JSON patch: taken as sent.
  const migrated: ManagedFieldsEntry[] = [
    { manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } },
  ];
  const rewritten = recordUpdate(created, { ...created, metadata: { ...created.metadata, managedFields: migrated } }, 'kubectl', configmaps, T1);
  t.same(rewritten.metadata.managedFields, migrated, 'a write that only replaces managedFields keeps them');
  // More than ten updaters: the oldest fold into "ancient-changes".
  let many = created;
  for (let i = 0; i < 12; i++) {
    const at = new Date(T1.getTime() + i * 1000);
    many = recordUpdate(many, { ...many, data: { ...(many.data as object), [`k${i}`]: 'v' } }, `writer-${i}`, configmaps, at);
  }
  const managers = many.metadata.managedFields!.map((e) => e.manager);
  t.equal(managers.length, 10, 'at most ten Update entries');
  t.ok(managers.includes('ancient-changes') && managers.includes('writer-11') && !managers.includes('creator') && !managers.includes('writer-2'));
  const ancient = FieldSet.fromFieldsV1(many.metadata.managedFields!.find((e) => e.manager === 'ancient-changes')?.fieldsV1);
  t.ok(ancient.has(['f:data', 'f:a']) && ancient.has(['f:data', 'f:k2']), 'the bucket owns what the folded managers owned');
  const reset = recordUpdate(created, { ...created, metadata: { ...created.metadata, managedFields: [{}] } }, 'x', configmaps, T1);
  t.equal(reset.metadata.managedFields, undefined, '[{}] resets ownership');
});

t.test('apply input checks and parsing', async (t) => {
  const withFields = config(1);
  withFields.metadata.managedFields = [];
  t.equal(statusOf(() => apply(undefined, withFields, 'kubectl', false, T0)).code, 400, 'managedFields must be nil');
  t.equal(statusOf(() => apply(undefined, config(1), '', false, T0)).code, 400, 'a field manager is required');
  const parsed = parseApplyConfiguration(Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  on: "yes"\n  n: "010"\n'));
  t.same(parsed.data, { on: 'yes', n: '010' });
  t.equal(statusOf(() => parseApplyConfiguration(Buffer.from('a: [b'))).code, 400);
  t.same(parseApplyConfiguration(Buffer.from('{"kind":"ConfigMap","metadata":{"name":"j"}}')).metadata, { name: 'j' }, 'JSON is YAML');
});

t.test('keyed lists with defaulted keys and sets', async (t) => {
  const services = resourceType('', 'services');
  const svc = (ports: unknown[], finalizers: string[]): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', finalizers },
    spec: { ports },
  });
  const created = apply(undefined, svc([{ port: 80 }, { port: 53, protocol: 'UDP' }], ['a/x', 'b/y']), 'tool', false, T0, services);
  t.same(created.metadata.managedFields?.[0].fieldsV1, {
    'f:metadata': { 'f:finalizers': { 'v:"a/x"': {}, 'v:"b/y"': {} } },
    'f:spec': {
      'f:ports': {
        'k:{"port":53,"protocol":"UDP"}': { '.': {}, 'f:port': {}, 'f:protocol': {} },
        'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {} },
      },
    },
  });
  // The server defaults protocol; applying the same configuration again changes nothing.
  const live = structuredClone(created) as KubeObject & { spec: any };
  live.spec.ports[0].protocol = 'TCP';
  deepFreeze(live);
  t.same(apply(live, svc([{ port: 80 }, { port: 53, protocol: 'UDP' }], ['a/x', 'b/y']), 'tool', false, T1, services), live);
  const fewer = apply(live, svc([{ port: 80 }], ['b/y']), 'tool', false, T1, services);
  t.same(spec(fewer).ports, [{ port: 80, protocol: 'TCP' }], 'the dropped port is removed');
  t.same(fewer.metadata.finalizers, ['b/y'], 'the dropped set item is removed');
});

t.test('FieldsV1 round trip', async (t) => {
  const v1 = { 'f:a': { '.': {}, 'f:b': {}, 'k:{"name":"x"}': { '.': {}, 'f:name': {} } }, 'f:c': { 'v:"s"': {} } };
  const set = FieldSet.fromFieldsV1(v1);
  t.same(set.toFieldsV1(), v1);
  t.same(
    set.paths().map((p) => p.join('/')),
    ['f:a', 'f:a/f:b', 'f:a/k:{"name":"x"}', 'f:a/k:{"name":"x"}/f:name', 'f:c/v:"s"'],
  );
});
