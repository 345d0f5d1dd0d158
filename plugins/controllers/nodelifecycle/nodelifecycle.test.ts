// Node lifecycle: a silenced node turns Unknown, gets the unreachable taints, and its pods are
// evicted by their tolerations; a heartbeating node is left alone and recovers its taints.
import 'reflect-metadata';
import t from 'tap';
import { LEASES, microTime } from '../../../kernel/controller/leader.js';
import { PODS } from '../../../kernel/controller/podcontrol.js';
import type { PodLike } from '../../../kernel/controller/pods.js';
import { isStatusError } from '../../../kernel/objects/status.js';
import type { KubeObject } from '../../../kernel/objects/types.js';
import { createScheduler } from '../../scheduler/scheduler.js';
import { ReplicaSetController, REPLICASETS, type ReplicaSet } from '../replicaset/controller.js';
import { container, meta, startTestCluster, testOptions, waitFor } from '../testing.js';
import { NODE_LEASE_NAMESPACE, NodeLifecycleController, NODES, UNREACHABLE_TAINT, type Node } from './controller.js';

t.test('node lifecycle controller', async (t) => {
  const c = await startTestCluster(t, ['default', NODE_LEASE_NAMESPACE]);
  const { store } = c;
  const nodeNames = ['n1', 'n2'];
  for (const name of nodeNames) {
    await store.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, capacity: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } });
    await store.create(LEASES, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: NODE_LEASE_NAMESPACE }, spec: { holderIdentity: name, leaseDurationSeconds: 1, renewTime: microTime() } });
  }
  // n2 keeps heartbeating; n1 is silent from the start.
  const beat = setInterval(() => {
    void store.guaranteedUpdate<KubeObject>(LEASES, NODE_LEASE_NAMESPACE, 'n2', (l) => ({ ...l, spec: { ...(l.spec as object), renewTime: microTime() } })).catch(() => undefined);
  }, 200);
  t.teardown(() => clearInterval(beat));

  const pod = (name: string, node: string, tolerations?: unknown[]) =>
    store.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: meta(name), spec: { ...container('busybox'), nodeName: node, ...(tolerations ? { tolerations } : {}) } });
  // Admission gives every pod a 300 s unreachable toleration (DefaultTolerationSeconds); this one asks for none.
  const immediate = [{ key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }];
  await pod('plain', 'n1', immediate);
  await pod('patient', 'n1', [{ key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }]);
  await pod('forever', 'n1', [{ operator: 'Exists' }]);
  await pod('elsewhere', 'n2');
  // An RS-owned pod on n1: evicted, then replaced by the ReplicaSet controller.
  const rs = await store.create<ReplicaSet>(REPLICASETS, {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('pinned'),
    spec: { replicas: 1, selector: { matchLabels: { app: 'pinned' } }, template: { metadata: { labels: { app: 'pinned' } }, spec: container('busybox') } },
  });
  await store.create(PODS, {
    apiVersion: 'v1', kind: 'Pod',
    metadata: meta('pinned-on-n1', 'default', { labels: { app: 'pinned' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'pinned', uid: rs.metadata.uid!, controller: true, blockOwnerDeletion: true }] }),
    spec: { ...container('busybox'), nodeName: 'n1', tolerations: immediate },
  });
  const rsc = new ReplicaSetController(store, c.logger, c.metrics, testOptions({ burstReplicas: 500 }));
  await rsc.start();
  t.teardown(() => rsc.stop());
  // The scheduler places the replacement: the unreachable NoSchedule taint keeps it off n1.
  const scheduler = await createScheduler({ store, logger: c.logger, metrics: c.metrics, config: { leaderElection: { leaderElect: false } } });
  await scheduler.start();
  t.teardown(() => scheduler.stop());

  const started = Date.now();
  const nlc = new NodeLifecycleController(store, c.logger, c.metrics, testOptions({ gracePeriodSeconds: 1, defaultTolerationSeconds: 0.5, evictionsPerSecond: 10 }));
  await nlc.start();
  t.teardown(() => nlc.stop());

  const exists = async (name: string) => store.get(PODS, 'default', name).then(() => true, (e: unknown) => (isStatusError(e, 'NotFound') ? false : Promise.reject(e)));
  const n1 = await waitFor('n1 unknown and tainted', async () => {
    const n = await store.get<Node>(NODES, undefined, 'n1');
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
    return ready?.status === 'Unknown' && n.spec?.taints?.some((x) => x.key === UNREACHABLE_TAINT && x.effect === 'NoExecute') ? n : undefined;
  });
  t.ok(Date.now() - started >= 1000, 'not before the grace period');
  t.equal(n1.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'NodeStatusUnknown');
  t.ok(n1.spec?.taints?.some((x) => x.key === UNREACHABLE_TAINT && x.effect === 'NoSchedule'));
  await waitFor('plain evicted', async () => !(await exists('plain')));
  t.ok(await exists('patient'), 'a pod tolerating 2 s is still there');
  await waitFor('patient evicted', async () => !(await exists('patient')));
  const replacement = await waitFor('RS pod evicted and replaced on the healthy node', async () => {
    const pods = (await store.list<PodLike>(PODS, { namespace: 'default' })).items.filter((p) => p.metadata.labels?.app === 'pinned');
    return !(await exists('pinned-on-n1')) && pods.length === 1 && pods[0]!.spec?.nodeName ? pods[0] : undefined;
  });
  t.equal(replacement.spec?.nodeName, 'n2', 'the replacement runs on n2');
  t.ok(await exists('forever'), 'an unbounded toleration keeps the pod');
  t.ok(await exists('elsewhere'), 'pods on a heartbeating node stay');
  const n2 = await store.get<Node>(NODES, undefined, 'n2');
  t.equal(n2.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  t.notOk(n2.spec?.taints?.length, 'n2 untainted');

  // n1 comes back: the kubelet reports Ready again and the taints go.
  await store.guaranteedUpdate<Node>(NODES, undefined, 'n1', (n) => ({ ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString() }] } }));
  await store.guaranteedUpdate<KubeObject>(LEASES, NODE_LEASE_NAMESPACE, 'n1', (l) => ({ ...l, spec: { ...(l.spec as object), renewTime: microTime() } }));
  await waitFor('n1 untainted', async () => !(await store.get<Node>(NODES, undefined, 'n1')).spec?.taints?.some((x) => x.key === UNREACHABLE_TAINT));
});
