// Update rules: what may change on UPDATE, and what is immutable.
import t from 'tap';
import { admit, causesOf, deployment, nginx, pod, template } from './test-helpers.js';

t.test('update rules', async (t) => {
  const stored = admit(pod({ containers: [nginx] }));
  const withSpec = (change: (spec: any) => void) => {
    const next = structuredClone(stored) as any;
    change(next.spec);
    return next;
  };
  t.doesNotThrow(() => admit(withSpec((s) => (s.containers[0].image = 'nginx:2')), 'UPDATE', stored), 'image may change');
  t.doesNotThrow(() => admit(withSpec((s) => (s.nodeName = 'node-1')), 'UPDATE', stored), 'binding sets nodeName once');
  t.doesNotThrow(() => admit(withSpec((s) => s.tolerations.push({ key: 'k', operator: 'Exists' })), 'UPDATE', stored), 'tolerations may be added');
  const forbidden = causesOf(() => admit(withSpec((s) => (s.containers[0].name = 'other')), 'UPDATE', stored));
  t.equal(forbidden.causes[0]!.field, 'spec');
  t.match(forbidden.causes[0]!.message, /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,/);
  const bound = admit(withSpec((s) => (s.nodeName = 'node-1')), 'UPDATE', stored);
  t.throws(() => admit({ ...bound, spec: { ...(bound.spec as object), nodeName: 'node-2' } }, 'UPDATE', bound), 'nodeName is fixed once set');

  const d = admit(deployment({ selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a' }) })) as any;
  const moved = structuredClone(d);
  moved.spec.selector = { matchLabels: { app: 'b' } };
  moved.spec.template.metadata.labels = { app: 'b' };
  t.same(causesOf(() => admit(moved, 'UPDATE', d)).causes.map((c) => c.message), [
    'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
  const scaled = structuredClone(d);
  scaled.spec.replicas = 5;
  t.equal((admit(scaled, 'UPDATE', d) as any).spec.replicas, 5, 'scaling is an ordinary update');

  const svc = admit({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }], clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] } }) as any;
  const resent = admit({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } }, 'UPDATE', svc) as any;
  t.equal(resent.spec.clusterIP, '10.96.0.10', 'an update without clusterIP keeps the allocated one');
  const changed = structuredClone(svc);
  changed.spec.clusterIP = '10.96.0.11';
  changed.spec.clusterIPs = ['10.96.0.11'];
  t.same(causesOf(() => admit(changed, 'UPDATE', svc)).causes.map((c) => `${c.field}: ${c.message}`), ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']);

  const cm = admit({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' }, immutable: true });
  t.same(causesOf(() => admit({ ...cm, data: { a: '2' } }, 'UPDATE', cm)).causes.map((c) => `${c.field}: ${c.message}`), ['data: Forbidden: field is immutable when `immutable` is set']);
  const secret = admit({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'eA==' } });
  t.same(causesOf(() => admit({ ...secret, type: 'kubernetes.io/basic-auth' }, 'UPDATE', secret)).causes.map((c) => `${c.field}: ${c.message}`), ['type: Invalid value: "kubernetes.io/basic-auth": field is immutable']);

  const pvc = admit({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }) as any;
  const grown = structuredClone(pvc);
  grown.spec.resources.requests.storage = '2Gi';
  grown.spec.volumeName = 'pv-1';
  t.doesNotThrow(() => admit(grown, 'UPDATE', pvc), 'claims may grow and be bound');
  const remoded = structuredClone(pvc);
  remoded.spec.accessModes = ['ReadWriteMany'];
  t.same(causesOf(() => admit(remoded, 'UPDATE', pvc)).causes.map((c) => c.message), ['Forbidden: spec is immutable after creation except resources.requests for bound claims']);
});

