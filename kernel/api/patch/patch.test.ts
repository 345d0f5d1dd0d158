import t from 'tap';
import type { KubeObject } from '../../objects/types.js';
import { applyMergePatch } from './merge-patch.js';
import { applyPatch, PatchType } from './mod.js';
import { customResource, deepFreeze, deployment, patchFrozen, resourceType, statusOf, type Deployment } from './test-helpers.js';

const deployments = resourceType('apps', 'deployments');
const pods = resourceType('', 'pods');
const services = resourceType('', 'services');

function obj(fields: Record<string, unknown>): KubeObject {
  return { metadata: { name: 'x' }, ...fields };
}

const patch = (tt: Pick<typeof t, 'notOk'>, type: string, original: KubeObject, body: unknown, rt = deployments) => patchFrozen(tt, type, original, body, rt);

t.test('JSON patch (RFC 6902)', async (t) => {
  const cases: Array<{ name: string; doc: Record<string, unknown>; ops: unknown[]; want: Record<string, unknown> }> = [
    { name: 'add a member', doc: { n: 1 }, ops: [{ op: 'add', path: '/m', value: 'two' }], want: { n: 1, m: 'two' } },
    { name: 'add overwrites an existing member', doc: { n: 1 }, ops: [{ op: 'add', path: '/n', value: [7] }], want: { n: [7] } },
    { name: 'add inserts into an array', doc: { xs: ['p', 'r'] }, ops: [{ op: 'add', path: '/xs/1', value: 'q' }], want: { xs: ['p', 'q', 'r'] } },
    { name: 'add appends with -', doc: { xs: ['p'] }, ops: [{ op: 'add', path: '/xs/-', value: { k: 1 } }], want: { xs: ['p', { k: 1 }] } },
    { name: 'remove a member', doc: { a: 1, b: 2 }, ops: [{ op: 'remove', path: '/a' }], want: { b: 2 } },
    { name: 'remove an array element', doc: { xs: [1, 2, 3] }, ops: [{ op: 'remove', path: '/xs/0' }], want: { xs: [2, 3] } },
    { name: 'replace a value', doc: { a: { b: 1 } }, ops: [{ op: 'replace', path: '/a/b', value: false }], want: { a: { b: false } } },
    { name: 'move a member', doc: { from: { v: 3 }, to: {} }, ops: [{ op: 'move', from: '/from/v', path: '/to/w' }], want: { from: {}, to: { w: 3 } } },
    { name: 'move inside an array', doc: { xs: ['a', 'b', 'c'] }, ops: [{ op: 'move', from: '/xs/0', path: '/xs/2' }], want: { xs: ['b', 'c', 'a'] } },
    { name: 'copy a subtree', doc: { a: { deep: [1] } }, ops: [{ op: 'copy', from: '/a', path: '/b' }], want: { a: { deep: [1] }, b: { deep: [1] } } },
    { name: 'test then replace', doc: { v: [1, { z: 2 }] }, ops: [{ op: 'test', path: '/v', value: [1, { z: 2 }] }, { op: 'replace', path: '/v', value: 0 }], want: { v: 0 } },
    { name: '~1 and ~0 escapes', doc: { 'a/b': 1, 'm~n': 2 }, ops: [{ op: 'replace', path: '/a~1b', value: 10 }, { op: 'remove', path: '/m~0n' }], want: { 'a/b': 10 } },
    { name: 'empty path replaces the document', doc: { a: 1 }, ops: [{ op: 'replace', path: '', value: { b: 2 } }], want: { b: 2 } },
  ];
  for (const c of cases) {
    const out = patch(t, PatchType.json, c.doc as KubeObject, c.ops);
    t.same(out, c.want, c.name);
  }
  // The copy must not alias its source.
  const copied = applyPatch(PatchType.json, obj({ a: { n: 1 } }), Buffer.from('[{"op":"copy","from":"/a","path":"/b"}]'), deployments);
  (copied.b as { n: number }).n = 2;
  t.equal((copied.a as { n: number }).n, 1, 'copy is deep');
});

t.test('JSON patch errors', async (t) => {
  const failing: Array<{ name: string; ops: unknown[]; cause: RegExp }> = [
    { name: 'failed test', ops: [{ op: 'test', path: '/spec/replicas', value: 9 }], cause: /testing value \/spec\/replicas failed/ },
    { name: 'missing parent', ops: [{ op: 'add', path: '/nope/deeper', value: 1 }], cause: /missing path/ },
    { name: 'replace of a missing member', ops: [{ op: 'replace', path: '/spec/paused', value: true }], cause: /missing/ },
    { name: 'remove of a missing member', ops: [{ op: 'remove', path: '/spec/paused' }], cause: /missing/ },
    { name: 'index out of range', ops: [{ op: 'add', path: '/spec/list/5', value: 1 }], cause: /missing path/ },
    { name: 'unknown op', ops: [{ op: 'frobnicate', path: '/spec' }], cause: /Unexpected kind: frobnicate/ },
  ];
  const doc = deepFreeze(obj({ spec: { replicas: 1, list: [] } }));
  for (const c of failing) {
    const err = statusOf(() => applyPatch(PatchType.json, doc, Buffer.from(JSON.stringify(c.ops)), deployments));
    t.equal(err.code, 422, `${c.name}: 422`);
    t.equal(err.reason, 'Invalid', `${c.name}: reason`);
    t.match(err.details?.causes?.[0]?.message, c.cause, `${c.name}: cause`);
  }
  const tooMany = JSON.stringify(Array.from({ length: 10001 }, () => ({ op: 'test', path: '/spec/replicas', value: 1 })));
  t.equal(statusOf(() => applyPatch(PatchType.json, doc, Buffer.from(tooMany), deployments)).code, 413, 'more than 10000 operations');
  for (const body of ['not json', '{"op":"add"}', '[1]']) {
    const err = statusOf(() => applyPatch(PatchType.json, doc, Buffer.from(body), deployments));
    t.equal(err.code, 400, `malformed ${body}: 400`);
    t.equal(err.reason, 'BadRequest');
  }
});

t.test('JSON merge patch (RFC 7386)', async (t) => {
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ k: 'one' }, { k: 'two' }, { k: 'two' }],
    [{ k: 'one' }, { j: 'two' }, { k: 'one', j: 'two' }],
    [{ k: 'one' }, { k: null }, {}],
    [{ k: 'one', j: 'two' }, { k: null }, { j: 'two' }],
    [{ k: ['one'] }, { k: 'two' }, { k: 'two' }],
    [{ k: 'two' }, { k: ['one'] }, { k: ['one'] }],
    [{ k: { j: 'x' } }, { k: { j: 'y', i: null } }, { k: { j: 'y' } }],
    [{ k: [{ j: 'x' }] }, { k: [5] }, { k: [5] }],
    [['x', 'y'], ['z'], ['z']],
    [{ k: 'one' }, ['z'], ['z']],
    [{ q: null }, { r: 3 }, { q: null, r: 3 }],
    [[1, 2], { k: 'v', gone: null }, { k: 'v' }],
    [{}, { k: { j: { i: null } } }, { k: { j: {} } }],
  ];
  for (const [target, p, want] of cases) {
    t.same(applyMergePatch(deepFreeze(target), deepFreeze(p)), want, `${JSON.stringify(target)} + ${JSON.stringify(p)}`);
  }
  const err = statusOf(() => applyPatch(PatchType.merge, obj({}), Buffer.from('[1]'), deployments));
  t.equal(err.code, 400, 'a merge patch must be an object');
  t.equal(statusOf(() => applyPatch(PatchType.merge, obj({}), Buffer.from('{'), deployments)).code, 400, 'syntax error is 400');
});

t.test('strategic merge patch: lists and directives', async (t) => {
  type Case = { name: string; patch: unknown; at: (d: Deployment) => unknown; want: unknown; rt?: typeof deployments; original?: KubeObject };
  const cases: Case[] = [
    {
      name: 'env merges by name, null deletes a field of an item',
      patch: { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '20' }, { name: 'C', value: '3' }] }] } } } },
      at: (d) => d.spec.template.spec.containers[0].env,
      want: [{ name: 'A', value: '1' }, { name: 'B', value: '20' }, { name: 'C', value: '3' }],
    },
    {
      name: 'items new to a list come before the live-only items (upstream order)',
      patch: { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'C', value: '3' }] }] } } } },
      at: (d) => d.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name),
      want: ['C', 'A', 'B'],
    },
    {
      name: 'container ports merge by containerPort',
      patch: { spec: { template: { spec: { containers: [{ name: 'app', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }] } } } },
      at: (d) => d.spec.template.spec.containers[0].ports,
      want: [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443 }],
    },
    {
      name: '$patch: delete removes a list item by merge key',
      patch: { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'A', $patch: 'delete' }] }] } } } },
      at: (d) => d.spec.template.spec.containers[0].env,
      want: [{ name: 'B', value: '2' }],
    },
    {
      name: '$patch: replace as a list item replaces the list',
      patch: { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o:1' }] } } } },
      at: (d) => d.spec.template.spec.containers,
      want: [{ name: 'only', image: 'o:1' }],
    },
    {
      name: '$patch: replace in a map replaces the map',
      patch: { spec: { template: { metadata: { labels: { $patch: 'replace', fresh: 'yes' } } } } },
      at: (d) => d.spec.template.metadata,
      want: { labels: { fresh: 'yes' } },
    },
    {
      name: '$patch: delete in a map empties it',
      patch: { spec: { strategy: { $patch: 'delete' } } },
      at: (d) => d.spec.strategy,
      want: {},
    },
    {
      name: '$retainKeys drops the keys it does not name',
      patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      at: (d) => d.spec.strategy,
      want: { type: 'Recreate' },
    },
    {
      name: '$retainKeys inside a volume switches its source',
      patch: { spec: { template: { spec: { volumes: [{ name: 'data', configMap: { name: 'cm' }, $retainKeys: ['configMap', 'name'] }] } } } },
      at: (d) => d.spec.template.spec.volumes,
      want: [{ name: 'data', configMap: { name: 'cm' } }],
    },
    {
      name: 'finalizers merge as a set, patch items first in patch order',
      patch: { metadata: { finalizers: ['c.example/f', 'a.example/f'] } },
      at: (d) => d.metadata.finalizers,
      want: ['c.example/f', 'a.example/f', 'b.example/f'],
    },
    {
      name: '$deleteFromPrimitiveList',
      patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example/f'] } },
      at: (d) => d.metadata.finalizers,
      want: ['b.example/f'],
    },
    {
      name: '$setElementOrder on a primitive list',
      patch: { metadata: { '$setElementOrder/finalizers': ['b.example/f', 'a.example/f'] } },
      at: (d) => d.metadata.finalizers,
      want: ['b.example/f', 'a.example/f'],
    },
    {
      name: '$setElementOrder keeps server-only items in place',
      original: obj({ spec: { template: { spec: { containers: [{ name: 'a' }, { name: 's' }, { name: 'b' }] } } } }),
      patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }, { name: 'n' }], containers: [{ name: 'n' }] } } } },
      at: (d) => d.spec.template.spec.containers.map((c: { name: string }) => c.name),
      want: ['s', 'b', 'a', 'n'],
    },
    {
      name: 'tolerations are atomic',
      patch: { spec: { template: { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }] } } } },
      at: (d) => d.spec.template.spec.tolerations,
      want: [{ key: 'k2', operator: 'Exists' }],
    },
    {
      name: 'ownerReferences merge by uid',
      original: obj({ metadata: { name: 'x', ownerReferences: [{ uid: 'u1', name: 'one' }] } }),
      patch: { metadata: { ownerReferences: [{ uid: 'u2', name: 'two' }, { uid: 'u1', controller: true }] } },
      at: (d) => d.metadata.ownerReferences,
      want: [{ uid: 'u2', name: 'two' }, { uid: 'u1', name: 'one', controller: true }],
    },
    {
      name: 'pod containers at spec',
      rt: pods,
      original: obj({ spec: { containers: [{ name: 'c', image: 'i:1' }, { name: 'd', image: 'j:1' }] } }),
      patch: { spec: { containers: [{ name: 'd', image: 'j:2' }] } },
      at: (d) => d.spec.containers,
      want: [{ name: 'c', image: 'i:1' }, { name: 'd', image: 'j:2' }],
    },
    {
      name: 'service ports merge by port',
      rt: services,
      original: obj({ spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } }),
      patch: { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
      at: (d) => d.spec.ports,
      want: [{ port: 80, targetPort: 9090 }, { port: 443 }],
    },
    {
      name: 'types without merge facts replace lists',
      rt: customResource,
      original: obj({ spec: { containers: [{ name: 'a' }], items: [1, 2] } }),
      patch: { spec: { containers: [{ name: 'b' }], items: [3] } },
      at: (d) => d.spec,
      want: { containers: [{ name: 'b' }], items: [3] },
    },
    {
      name: 'new fields take the patch value without directives or nulls',
      original: obj({}),
      patch: { spec: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'E', value: null }] }] } } } },
      at: (d) => d.spec,
      want: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'E' }] }] } } },
    },
  ];
  for (const c of cases) {
    const out = patch(t, PatchType.strategic, c.original ?? deployment(), c.patch, c.rt ?? deployments) as Deployment;
    t.same(c.at(out), c.want, c.name);
  }
});

t.test('strategic merge patch errors', async (t) => {
  const bad: Array<[string, unknown, number]> = [
    ['missing merge key', { spec: { template: { spec: { containers: [{ image: 'no-name' }] } } } }, 400],
    ['unknown $patch', { spec: { $patch: 'explode' } }, 400],
    ['retainKeys not a list', { spec: { strategy: { $retainKeys: 'type' } } }, 400],
    ['content outside retainKeys', { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, 400],
    ['$patch: merge as a list item', { spec: { template: { spec: { containers: [{ name: 'app', $patch: 'merge' }] } } } }, 400],
    ['list of lists', { spec: { template: { spec: { containers: [[]] } } } }, 422],
    ['setElementOrder not a list', { metadata: { '$setElementOrder/finalizers': 'x' } }, 400],
    ['not an object', [1], 400],
  ];
  for (const [name, body, code] of bad) {
    t.equal(statusOf(() => applyPatch(PatchType.strategic, deployment(), Buffer.from(JSON.stringify(body)), deployments)).code, code, name);
  }
});

t.test('content types', async (t) => {
  const err = statusOf(() => applyPatch('application/json', deployment(), Buffer.from('{}'), deployments));
  t.equal(err.code, 415);
  t.equal(err.reason, 'UnsupportedMediaType');
  t.equal(
    err.message,
    'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json',
  );
  const out = applyPatch('application/merge-patch+json; charset=utf-8', deployment(), Buffer.from('{"spec":{"replicas":1}}'), deployments) as Deployment;
  t.equal(out.spec.replicas, 1, 'parameters of the media type are ignored');
});
