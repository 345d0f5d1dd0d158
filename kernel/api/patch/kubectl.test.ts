// The exact patches kubectl 1.32 sends for its everyday commands.
import t from 'tap';
import type { KubeObject } from '../../objects/types.js';
import { PatchType } from './mod.js';
import { deployment, patchFrozen, resourceType, type Deployment } from './test-helpers.js';

const deployments = resourceType('apps', 'deployments');
const patch = (tt: Pick<typeof t, 'notOk'>, type: string, original: KubeObject, body: unknown) => patchFrozen(tt, type, original, body, deployments);

const lastApplied =
  '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"web","namespace":"default"},' +
  '"spec":{"replicas":2,"template":{"spec":{"containers":[{"image":"app:2","name":"app"}]}}},"note":"a \\u003c b \\u0026 c ü"}\n';

t.test('patches kubectl sends', async (t) => {
  const base = deployment();
  const label = patch(t, PatchType.merge, base, { metadata: { labels: { tier: 'front' } } }) as Deployment;
  t.same(label.metadata.labels, { app: 'web', tier: 'front' }, 'kubectl label');
  const unlabel = patch(t, PatchType.merge, base, { metadata: { labels: { app: null } } }) as Deployment;
  t.same(unlabel.metadata.labels, {}, 'kubectl label app-');
  const annotate = patch(t, PatchType.merge, base, { metadata: { annotations: { note: 'hi' } } }) as Deployment;
  t.equal(annotate.metadata.annotations.note, 'hi', 'kubectl annotate');
  t.equal(annotate.metadata.annotations['deployment.kubernetes.io/revision'], '3');
  const scale = patch(t, PatchType.merge, base, { spec: { replicas: 5 } }) as Deployment;
  t.equal(scale.spec.replicas, 5, 'kubectl scale');
  t.same(scale.spec.template, base.spec && (base as Deployment).spec.template, 'scale leaves the template alone');

  const restartedAt = '2026-11-23T12:00:00Z';
  const restart = patch(t, PatchType.strategic, base, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } } } }) as Deployment;
  t.same(restart.spec.template.metadata, { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } }, 'rollout restart');
  t.equal(restart.spec.template.spec.containers.length, 2);

  const setImage = patch(t, PatchType.strategic, base, {
    spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'app' }, { name: 'x' }], containers: [{ image: 'app:1.25', name: 'app' }] } } },
  }) as Deployment;
  const [app, x] = setImage.spec.template.spec.containers;
  t.equal(app.image, 'app:1.25', 'set image changes the named container');
  t.same(app.ports, [{ containerPort: 80, protocol: 'TCP' }], 'other container fields stay');
  t.same(x, { name: 'x', image: 'sidecar:1' }, 'other containers stay');

  const oldTemplate = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'app:0' }] } };
  const undo = patch(t, PatchType.json, base, [
    { op: 'replace', path: '/spec/template', value: oldTemplate },
    { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '1' } },
  ]) as Deployment;
  t.same(undo.spec.template, oldTemplate, 'rollout undo replaces the template');
  t.same(undo.metadata.annotations, { 'deployment.kubernetes.io/revision': '1' });
  t.equal(undo.spec.replicas, 2);
});

t.test('client-side apply three-way patch', async (t) => {
  const body = JSON.stringify({
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'app' }],
          containers: [{ image: 'app:2', name: 'app' }, { $patch: 'delete', name: 'x' }],
        },
      },
    },
  });
  const out = patch(t, PatchType.strategic, deployment(), body) as Deployment;
  t.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], lastApplied, 'annotation kept verbatim');
  t.equal(out.spec.template.spec.containers.length, 1, 'container x deleted');
  t.equal(out.spec.template.spec.containers[0].image, 'app:2');
  t.same(out.spec.template.spec.containers[0].env, [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], 'unmentioned fields stay');
  t.same(out.spec.template.spec.tolerations, [{ key: 'k1', operator: 'Exists' }]);
});

t.test('kubectl 1.32 client-side apply patch with every directive', async (t) => {
  // Live object applied from a manifest; then `kubectl apply` of a changed manifest (finalizer
  // swapped, strategy Recreate, label dropped, args shortened, container added, volume source
  // switched) sent exactly this patch (captured from kubectl 1.32 against a test server).
  const live: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '5', finalizers: ['a/x', 'b/y'], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'old\n' } },
    spec: {
      replicas: 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web', tier: 't' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.24', args: ['a', 'b'] }], volumes: [{ name: 'data', emptyDir: {} }] },
      },
    },
  };
  const annotation =
    '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"finalizers":["b/y","c/z"],"name":"web","namespace":"default"},' +
    '"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"strategy":{"type":"Recreate"},"template":{"metadata":{"labels":{"app":"web"}},' +
    '"spec":{"containers":[{"args":["a"],"image":"nginx:1.24","name":"nginx"},{"image":"busybox","name":"side"}],"volumes":[{"configMap":{"name":"cm"},"name":"data"}]}}}}\n';
  const body = {
    metadata: {
      '$deleteFromPrimitiveList/finalizers': ['a/x'],
      '$setElementOrder/finalizers': ['b/y', 'c/z'],
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': annotation },
      finalizers: ['c/z'],
    },
    spec: {
      strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' },
      template: {
        metadata: { labels: { tier: null } },
        spec: {
          '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'side' }],
          '$setElementOrder/volumes': [{ name: 'data' }],
          containers: [{ args: ['a'], name: 'nginx' }, { image: 'busybox', name: 'side' }],
          volumes: [{ $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' }, emptyDir: null, name: 'data' }],
        },
      },
    },
  };
  const out = patch(t, PatchType.strategic, live, body) as Deployment;
  t.same(out.metadata, {
    name: 'web',
    namespace: 'default',
    uid: 'u1',
    resourceVersion: '5',
    finalizers: ['b/y', 'c/z'],
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': annotation },
  });
  t.same(out.spec, {
    replicas: 2,
    strategy: { type: 'Recreate' },
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'nginx', image: 'nginx:1.24', args: ['a'] },
          { image: 'busybox', name: 'side' },
        ],
        volumes: [{ name: 'data', configMap: { name: 'cm' } }],
      },
    },
  });
  t.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], annotation, 'annotation byte for byte');
});

