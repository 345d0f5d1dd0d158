import t from 'tap';
import type { KubeObject } from '../../objects/types.js';
import { columnsFor, registerPrinter, toTable } from './mod.js';
import { ago, cellsOf, day, hour, min, NOW, object, resourceType, sec } from './testutil.js';
import type { TableCell } from './types.js';

const template = { spec: { containers: [{ name: 'app', image: 'nginx:1' }, { name: 'log', image: 'busybox' }] } };
const selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] };

/** [case, group, resource, object, expected cells] */
const cases: Array<[string, string, string, KubeObject, TableCell[]]> = [
  ['node ready with roles', '', 'nodes', object('n1', {
    spec: {},
    status: {
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '10.1.0.1' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian', kernelVersion: '6.18', containerRuntimeVersion: 'runc://1.1' },
    },
  }, { labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'edge' } }),
  ['n1', 'Ready', 'control-plane,edge,worker', '5m', 'v1.32.0', '10.1.0.1', '<none>', 'Debian', '6.18', 'runc://1.1']],
  ['node not ready, cordoned, no roles', '', 'nodes', object('n2', { spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'False' }] } }),
    ['n2', 'NotReady,SchedulingDisabled', '<none>', '5m', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']],
  ['node with Ready Unknown', '', 'nodes', object('n3', { status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }), ['n3', 'NotReady', '<none>', '5m', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']],
  ['node with no Ready condition', '', 'nodes', object('n4', {}), ['n4', 'Unknown', '<none>', '5m', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']],
  ['namespace', '', 'namespaces', object('team', { status: { phase: 'Active' } }, { namespace: undefined, creationTimestamp: ago(day(3) + hour(4)) }), ['team', 'Active', '3d4h']],
  ['service ClusterIP', '', 'services', object('web', { spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], selector: { app: 'web', tier: 'a' }, ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] } }),
    ['web', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP,53/UDP', '5m', 'app=web,tier=a']],
  ['service NodePort', '', 'services', object('np', { spec: { type: 'NodePort', clusterIP: '10.96.0.11', externalIPs: ['1.2.3.4'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] } }),
    ['np', 'NodePort', '10.96.0.11', '1.2.3.4', '80:30080/TCP', '5m', '<none>']],
  ['service LoadBalancer pending', '', 'services', object('lb', { spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.12'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] } }),
    ['lb', 'LoadBalancer', '10.96.0.12', '<pending>', '443:31443/TCP', '5m', '<none>']],
  ['service LoadBalancer with ingress and external IPs', '', 'services', object('lb2', {
    spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.13'], externalIPs: ['9.9.9.9'], ports: [{ port: 80, protocol: 'TCP' }] },
    status: { loadBalancer: { ingress: [{ ip: '5.5.5.5' }, { hostname: 'lb.example.com' }] } },
  }), ['lb2', 'LoadBalancer', '10.96.0.13', '5.5.5.5,lb.example.com,9.9.9.9', '80/TCP', '5m', '<none>']],
  ['headless ExternalName service without ports', '', 'services', object('ext', { spec: { type: 'ExternalName', externalName: 'db.example.com' } }),
    ['ext', 'ExternalName', '<none>', 'db.example.com', '<none>', '5m', '<none>']],
  ['endpoints', '', 'endpoints', object('web', { subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: 'fd00::2' }], ports: [{ port: 80 }, { port: 81 }] }] }),
    ['web', '10.0.0.1:80,[fd00::2]:80,10.0.0.1:81 + 1 more...', '5m']],
  ['endpoints headless without ports', '', 'endpoints', object('h', { subsets: [{ addresses: [{ ip: '10.0.0.1' }] }] }), ['h', '10.0.0.1', '5m']],
  ['endpoints empty', '', 'endpoints', object('e', {}), ['e', '<none>', '5m']],
  ['configmap', '', 'configmaps', object('cfg', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), ['cfg', 3, '5m']],
  ['secret', '', 'secrets', object('tls', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } }), ['tls', 'kubernetes.io/tls', 2, '5m']],
  ['serviceaccount', '', 'serviceaccounts', object('default', { secrets: [{ name: 'tok' }] }), ['default', 1, '5m']],
  ['event with legacy timestamps', '', 'events', object('web.17a', {
    type: 'Warning', reason: 'BackOff', message: ' Back-off restarting failed container \n', count: 7,
    firstTimestamp: ago(hour(1)), lastTimestamp: ago(sec(30)),
    involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' }, source: { component: 'kubelet', host: 'n1' },
  }), ['30s', 'Warning', 'BackOff', 'pod/web', 'spec.containers{app}', 'kubelet, n1', 'Back-off restarting failed container', '60m', 7, 'web.17a']],
  ['event with eventTime and series', '', 'events', object('e2', {
    type: 'Normal', reason: 'Scheduled', message: 'ok', eventTime: '2024-06-01T11:50:00.000000Z',
    series: { count: 3, lastObservedTime: '2024-06-01T11:59:00.000000Z' }, involvedObject: { kind: 'Node' }, reportingComponent: 'scheduler',
  }), ['60s', 'Normal', 'Scheduled', 'node', '', 'scheduler', 'ok', '10m', 3, 'e2']],
  ['event singleton without count', '', 'events', object('e3', { involvedObject: { kind: 'Pod', name: 'p' } }), ['<unknown>', '', '', 'pod/p', '', '', '', '<unknown>', 1, 'e3']],
  ['persistent volume', '', 'persistentvolumes', object('pv1', {
    spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'local', volumeMode: 'Filesystem' },
    status: { phase: 'Bound' },
  }), ['pv1', '10Gi', 'RWO', 'Retain', 'Bound', 'default/data', 'local', '<unset>', '', '5m', 'Filesystem']],
  ['persistent volume being deleted', '', 'persistentvolumes', object('pv2', { spec: {}, status: { phase: 'Released', reason: 'gone' } }, { deletionTimestamp: ago(sec(1)), annotations: { 'volume.beta.kubernetes.io/storage-class': 'old' } }),
    ['pv2', '0', '', '', 'Terminating', '', 'old', '<unset>', 'gone', '5m', '<unset>']],
  ['claim bound', '', 'persistentvolumeclaims', object('data', {
    spec: { volumeName: 'pv1', storageClassName: 'local', volumeAttributesClassName: 'fast', volumeMode: 'Block' },
    status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] },
  }), ['data', 'Bound', 'pv1', '10Gi', 'RWO,ROX', 'local', 'fast', '5m', 'Block']],
  ['claim pending', '', 'persistentvolumeclaims', object('d2', { spec: { storageClassName: 'local' }, status: { phase: 'Pending' } }),
    ['d2', 'Pending', '', '', '', 'local', '<unset>', '5m', '<unset>']],
  ['deployment', 'apps', 'deployments', object('web', {
    spec: { replicas: 3, selector, template }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  }), ['web', '2/3', 3, 2, '5m', 'app,log', 'nginx:1,busybox', 'app=web,tier in (a,b)']],
  ['deployment with invalid selector and no status', 'apps', 'deployments', object('bad', { spec: { selector: { matchExpressions: [{ key: 'x', operator: 'In' }] }, template } }),
    ['bad', '0/1', 0, 0, '5m', 'app,log', 'nginx:1,busybox', '<invalid>']],
  ['replicaset', 'apps', 'replicasets', object('web-1', { spec: { replicas: 3, selector, template }, status: { replicas: 3, readyReplicas: 1 } }),
    ['web-1', 3, 3, 1, '5m', 'app,log', 'nginx:1,busybox', 'app=web,tier in (a,b)']],
  ['daemonset', 'apps', 'daemonsets', object('agent', {
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { ...template.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } } } },
    status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
  }), ['agent', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '5m', 'app,log', 'nginx:1,busybox', 'app=agent']],
  ['statefulset', 'apps', 'statefulsets', object('db', { spec: { replicas: 3, template }, status: { readyReplicas: 3 } }), ['db', '3/3', '5m', 'app,log', 'nginx:1,busybox']],
  ['job complete', 'batch', 'jobs', object('pi', {
    spec: { completions: 1, parallelism: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } }, template },
    status: { succeeded: 1, startTime: ago(min(4)), completionTime: ago(min(2) - sec(30)), conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] },
  }), ['pi', 'Complete', '1/1', '2m30s', '5m', 'app,log', 'nginx:1,busybox', 'batch.kubernetes.io/controller-uid=u1']],
  ['job running with parallelism', 'batch', 'jobs', object('work', { spec: { parallelism: 3, template }, status: { succeeded: 1, startTime: ago(min(3)) } }),
    ['work', 'Running', '1/1 of 3', '3m', '5m', 'app,log', 'nginx:1,busybox', '<none>']],
  ['job failed, not started', 'batch', 'jobs', object('f', { spec: { completions: 2, template }, status: { conditions: [{ type: 'Failed', status: 'True' }] } }),
    ['f', 'Failed', '0/2', '', '5m', 'app,log', 'nginx:1,busybox', '<none>']],
  ['job suspended', 'batch', 'jobs', object('s', { spec: { template }, status: { conditions: [{ type: 'Suspended', status: 'True' }] } }), ['s', 'Suspended', '0/1', '', '5m', 'app,log', 'nginx:1,busybox', '<none>']],
  ['job terminating', 'batch', 'jobs', object('d', { spec: { template }, status: {} }, { deletionTimestamp: ago(0) }), ['d', 'Terminating', '0/1', '', '5m', 'app,log', 'nginx:1,busybox', '<none>']],
  ['cronjob', 'batch', 'cronjobs', object('nightly', {
    spec: { schedule: '0 3 * * *', suspend: false, jobTemplate: { spec: { template } } }, status: { active: [{ name: 'nightly-1' }], lastScheduleTime: ago(hour(9)) },
  }), ['nightly', '0 3 * * *', '<none>', 'False', 1, '9h', '5m', 'app,log', 'nginx:1,busybox', '<none>']],
  ['cronjob never scheduled', 'batch', 'cronjobs', object('c', { spec: { schedule: '@hourly', timeZone: 'Etc/UTC', jobTemplate: { spec: { template } } } }),
    ['c', '@hourly', 'Etc/UTC', '<unset>', 0, '<none>', '5m', 'app,log', 'nginx:1,busybox', '<none>']],
  ['controllerrevision', 'apps', 'controllerrevisions', object('agent-7d4', { revision: 2 }, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u', controller: true }] }),
    ['agent-7d4', 'daemonset.apps/agent', 2, '5m']],
  ['controllerrevision without owner', 'apps', 'controllerrevisions', object('r', { revision: 1 }), ['r', '<none>', 1, '5m']],
  ['ingress', 'networking.k8s.io', 'ingresses', object('web', {
    spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }], tls: [{ hosts: ['a.example.com'] }] },
    status: { loadBalancer: { ingress: [{ ip: '192.168.1.10' }] } },
  }), ['web', 'nginx', 'a.example.com,b.example.com', '192.168.1.10', '80, 443', '5m']],
  ['ingress with many rules and no class', 'networking.k8s.io', 'ingresses', object('many', { spec: { rules: [{ host: 'a' }, { host: 'b' }, { host: 'c' }, { host: 'd' }, {}] } }),
    ['many', '<none>', 'a,b,c + 2 more...', '', '80', '5m']],
  ['ingress without hosts', 'networking.k8s.io', 'ingresses', object('any', { spec: { rules: [{}] } }), ['any', '<none>', '*', '', '80', '5m']],
  ['ingressclass', 'networking.k8s.io', 'ingressclasses', object('nginx', { spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } } }),
    ['nginx', 'k8s.io/ingress-nginx', 'IngressParameters.k8s.example.com/p', '5m']],
  ['networkpolicy', 'networking.k8s.io', 'networkpolicies', object('deny', { spec: { podSelector: {} } }), ['deny', '<none>', '5m']],
  ['storageclass default', 'storage.k8s.io', 'storageclasses', object('local', { provisioner: 'kite.dev/local', allowVolumeExpansion: true }, { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }),
    ['local (default)', 'kite.dev/local', 'Delete', 'Immediate', true, '5m']],
  ['lease', 'coordination.k8s.io', 'leases', object('n1', { spec: { holderIdentity: 'n1' } }), ['n1', 'n1', '5m']],
  ['lease without holder', 'coordination.k8s.io', 'leases', object('l', { spec: {} }), ['l', '', '5m']],
  ['endpointslice', 'discovery.k8s.io', 'endpointslices', object('web-abc', {
    addressType: 'IPv4', ports: [{ port: 80, name: 'http' }, { name: 'metrics' }, {}], endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2', '10.0.0.3', '10.0.0.4'] }],
  }), ['web-abc', 'IPv4', '80,metrics,*', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...', '5m']],
  ['endpointslice empty', 'discovery.k8s.io', 'endpointslices', object('e', { addressType: 'IPv4' }), ['e', 'IPv4', '<unset>', '<unset>', '5m']],
  ['priorityclass', 'scheduling.k8s.io', 'priorityclasses', object('high', { value: 1000, globalDefault: false, preemptionPolicy: 'PreemptLowerPriority' }),
    ['high', 1000, false, '5m', 'PreemptLowerPriority']],
  ['rolebinding', 'rbac.authorization.k8s.io', 'rolebindings', object('rb', {
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    subjects: [{ kind: 'User', name: 'alice' }, { kind: 'User', name: 'bob' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'ci', namespace: 'build' }],
  }), ['rb', 'Role/reader', '5m', 'alice, bob', 'devs', 'build/ci']],
  ['clusterrolebinding', 'rbac.authorization.k8s.io', 'clusterrolebindings', object('admin', { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'system:masters' }] }),
    ['admin', 'ClusterRole/cluster-admin', '5m', '', 'system:masters', '']],
  ['role uses the default table', 'rbac.authorization.k8s.io', 'roles', object('reader', { rules: [] }, { creationTimestamp: '2024-05-01T10:00:00.5Z' }), ['reader', '2024-05-01T10:00:00Z']],
  ['clusterrole uses the default table', 'rbac.authorization.k8s.io', 'clusterroles', object('view', {}, { creationTimestamp: undefined }), ['view', '0001-01-01T00:00:00Z']],
];

t.test('cells per resource', async (t) => {
  for (const [name, group, resource, obj, want] of cases) t.same(cellsOf(group, resource, obj), want, name);
});

t.test('column definitions', async (t) => {
  const summary = (group: string, resource: string) => columnsFor(resourceType(group, resource)).map((c) => `${c.name}${c.priority ? '*' : ''}`).join('|');
  t.equal(summary('', 'pods'), 'Name|Ready|Status|Restarts|Age|IP*|Node*|Nominated Node*|Readiness Gates*');
  t.equal(summary('', 'nodes'), 'Name|Status|Roles|Age|Version|Internal-IP*|External-IP*|OS-Image*|Kernel-Version*|Container-Runtime*');
  t.equal(summary('', 'events'), 'Last Seen|Type|Reason|Object|Subobject*|Source*|Message|First Seen*|Count*|Name*');
  t.equal(summary('', 'persistentvolumes'), 'Name|Capacity|Access Modes|Reclaim Policy|Status|Claim|StorageClass|VolumeAttributesClass|Reason|Age|VolumeMode*');
  t.equal(summary('batch', 'jobs'), 'Name|Status|Completions|Duration|Age|Containers*|Images*|Selector*');
  t.equal(summary('apps', 'deployments'), 'Name|Ready|Up-to-date|Available|Age|Containers*|Images*|Selector*');
  t.equal(summary('', 'services'), 'Name|Type|Cluster-IP|External-IP|Port(s)|Age|Selector*');
  t.equal(summary('batch', 'cronjobs'), 'Name|Schedule|Timezone|Suspend|Active|Last Schedule|Age|Containers*|Images*|Selector*');

  const roles = columnsFor(resourceType('rbac.authorization.k8s.io', 'roles'));
  t.same(roles.map((c) => [c.name, c.type, c.format]), [['Name', 'string', 'name'], ['Created At', 'date', '']]);
  for (const c of columnsFor(resourceType('', 'pods'))) {
    t.same(Object.keys(c).sort(), ['description', 'format', 'name', 'priority', 'type'], `${c.name} has every field`);
  }
  t.equal(columnsFor(resourceType('', 'pods'))[0]!.format, 'name');
  t.equal(columnsFor(resourceType('', 'events')).find((c) => c.name === 'Name')!.format, 'name');
});

t.test('table envelope and includeObject modes', async (t) => {
  const rt = resourceType('', 'configmaps');
  const cm = object('cfg', { data: { a: '1' } }, { uid: 'u-1', resourceVersion: '42', labels: { app: 'x' }, annotations: { note: 'y' } });

  const meta = toTable(rt, [cm], { includeObject: 'Metadata', resourceVersion: '50', continue: 'tok', remainingItemCount: 3, now: NOW });
  t.equal(meta.kind, 'Table');
  t.equal(meta.apiVersion, 'meta.k8s.io/v1');
  t.same(meta.metadata, { resourceVersion: '50', continue: 'tok', remainingItemCount: 3 });
  t.equal(meta.columnDefinitions.length, 3);
  t.same(meta.rows[0]!.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cm.metadata });
  t.notOk('data' in (meta.rows[0]!.object as object), 'metadata only');

  const full = toTable(rt, [cm], { includeObject: 'Object', now: NOW });
  t.same(full.rows[0]!.object, { ...cm, apiVersion: 'v1', kind: 'ConfigMap' });
  t.same(full.metadata, {}, 'no resourceVersion or continue when not given');

  const none = toTable(rt, [cm], { includeObject: 'None', now: NOW, omitColumnDefinitions: true });
  t.notOk('object' in none.rows[0]!, 'no object');
  t.same(none.columnDefinitions, []);

  const deployment = toTable(resourceType('apps', 'deployments'), [object('d', { spec: {} })], { includeObject: 'Object', now: NOW });
  t.match(deployment.rows[0]!.object, { apiVersion: 'apps/v1', kind: 'Deployment' });

  const beta = toTable(rt, [cm], { includeObject: 'Metadata', apiVersion: 'meta.k8s.io/v1beta1', now: NOW });
  t.equal(beta.apiVersion, 'meta.k8s.io/v1beta1');
  t.equal((beta.rows[0]!.object as { apiVersion: string }).apiVersion, 'meta.k8s.io/v1beta1');

  const empty = toTable(rt, [], { includeObject: 'Metadata', resourceVersion: '7', now: NOW });
  t.same(empty.rows, []);
  t.equal(empty.columnDefinitions.length, 3, 'headers even for an empty list');

  // The JSON kubectl receives: plain data, cells in column order.
  const json = JSON.parse(JSON.stringify(meta));
  t.same(json.rows[0].cells, ['cfg', 1, '5m']);
});

t.test('row conditions mark finished pods', async (t) => {
  const rt = resourceType('', 'pods');
  const done = object('p', { spec: { containers: [{ name: 'a' }] }, status: { phase: 'Succeeded' } });
  const failed = object('q', { spec: { containers: [{ name: 'a' }] }, status: { phase: 'Failed' } });
  const live = object('r', { spec: { containers: [{ name: 'a' }] }, status: { phase: 'Running' } });
  const table = toTable(rt, [done, failed, live], { includeObject: 'None', now: NOW });
  t.match(table.rows[0]!.conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded' }]);
  t.match(table.rows[1]!.conditions, [{ type: 'Completed', status: 'True', reason: 'Failed' }]);
  t.notOk('conditions' in table.rows[2]!);
});

t.test('ages use the given clock and registerPrinter overrides', async (t) => {
  const rt = resourceType('', 'secrets');
  const secret = object('s', {}, { creationTimestamp: ago(min(90)) });
  t.same(toTable(rt, [secret], { includeObject: 'None', now: NOW }).rows[0]!.cells, ['s', 'Opaque', 0, '90m']);
  const later = new Date(NOW.getTime() + day(3));
  t.same(toTable(rt, [secret], { includeObject: 'None', now: later }).rows[0]!.cells, ['s', 'Opaque', 0, '3d1h']);

  registerPrinter('example.com', 'widgets', { columns: [{ name: 'Name', type: 'string', format: 'name', description: '', priority: 0 }], cells: (o) => [`w:${o.metadata.name}`] });
  const widgets = { group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', listKind: 'WidgetList', singularName: 'widget', namespaced: true, verbs: [] };
  t.same(toTable(widgets, [object('a')], { includeObject: 'None', now: NOW }).rows[0]!.cells, ['w:a']);
});
