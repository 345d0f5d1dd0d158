// ReplicaSet and Deployment controllers end to end on a real store with hollow pods.
import 'reflect-metadata';
import t from 'tap';
import { HollowKubelet } from '../../../kernel/controller/testing.js';
import { comparePodsForDeletion, isPodReady, type PodLike } from '../../../kernel/controller/pods.js';
import { controllerRef } from '../../../kernel/controller/owners.js';
import { EVENTS } from '../../../kernel/events/recorder.js';
import type { KubeObject } from '../../../kernel/objects/types.js';
import { ReplicaSetController } from '../replicaset/controller.js';
import { PODS, REPLICASETS, type ReplicaSet } from '../resources.js';
import { startTestCluster, testOptions, waitFor, container, meta } from '../testing.js';
import { DeploymentController, DEPLOYMENTS } from './controller.js';
import { HASH_LABEL, maxSurge, maxUnavailable, REVISION, scaledValue, type Deployment } from './util.js';

t.test('fenceposts round surge up and unavailable down', async (t) => {
  t.equal(scaledValue('25%', 10, true), 3);
  t.equal(scaledValue('25%', 10, false), 2);
  t.equal(scaledValue(2, 10, false), 2);
  const d = (ru: object, replicas = 10): Deployment => ({ metadata: {}, spec: { replicas, strategy: { type: 'RollingUpdate', rollingUpdate: ru } } });
  t.equal(maxSurge(d({ maxSurge: '25%', maxUnavailable: '25%' })), 3);
  t.equal(maxUnavailable(d({ maxSurge: '25%', maxUnavailable: '25%' })), 2);
  t.equal(maxUnavailable(d({ maxSurge: 0, maxUnavailable: 0 })), 1, 'both zero: unavailable becomes 1');
  t.equal(maxUnavailable(d({ maxSurge: 1, maxUnavailable: 5 }, 3)), 3, 'capped at replicas');
});

t.test('deletion preference', async (t) => {
  const pod = (name: string, extra: Partial<PodLike>): PodLike => ({ metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' }, ...extra });
  const readyAt = (ts: string) => ({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' as const, lastTransitionTime: ts }] });
  const pods = [
    pod('ready-old', { spec: { nodeName: 'n' }, status: readyAt('2026-01-01T00:00:00Z') }),
    pod('unscheduled', { status: { phase: 'Pending' } }),
    pod('ready-new', { spec: { nodeName: 'n' }, status: readyAt('2026-01-02T00:00:00Z') }),
    pod('running-not-ready', { spec: { nodeName: 'n' }, status: { phase: 'Running' } }),
    pod('pending', { spec: { nodeName: 'n' }, status: { phase: 'Pending' } }),
  ];
  t.same(pods.sort(comparePodsForDeletion).map((p) => p.metadata.name), ['unscheduled', 'pending', 'running-not-ready', 'ready-new', 'ready-old']);
});

t.test('replicaset and deployment controllers', async (t) => {
  const c = await startTestCluster(t);
  const { store } = c;
  // Pods with image `broken` never become ready (a stalled rollout).
  const kubelet = new HollowKubelet(store, { readyDelayMs: 30, selects: (p) => (p.spec?.containers?.[0] as { image?: string } | undefined)?.image !== 'broken' });
  await kubelet.start();
  t.teardown(() => kubelet.stop());
  const rsc = new ReplicaSetController(store, c.logger, c.metrics, testOptions({ burstReplicas: 500 }));
  await rsc.start();
  t.teardown(() => rsc.stop());

  const podsOf = async (labels: Record<string, string>) =>
    (await store.list<PodLike>(PODS, { namespace: 'default' })).items.filter((p) => Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v));

  await t.test('replicaset: creates, adopts, releases, scales, reports status', async (t) => {
    await store.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: meta('orphan', 'default', { labels: { app: 'rs' } }), spec: container('busybox') });
    await store.create(REPLICASETS, {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('rs'),
      spec: { replicas: 3, selector: { matchLabels: { app: 'rs' } }, template: { metadata: { labels: { app: 'rs' } }, spec: container('busybox') } },
    });
    const rs = await waitFor('3 ready replicas', async () => {
      const rs = await store.get<ReplicaSet>(REPLICASETS, 'default', 'rs');
      return rs.status?.readyReplicas === 3 && rs.status.availableReplicas === 3 && rs.status.replicas === 3 ? rs : undefined;
    });
    t.equal(rs.status?.observedGeneration, 1);
    t.equal(rs.status?.fullyLabeledReplicas, 3);
    const pods = await podsOf({ app: 'rs' });
    t.equal(pods.length, 3, 'the orphan counts: only two created');
    t.ok(pods.every((p) => controllerRef(p)?.uid === rs.metadata.uid && controllerRef(p)?.blockOwnerDeletion), 'all owned, orphan adopted');
    t.ok(pods.filter((p) => p.metadata.name !== 'orphan').every((p) => p.metadata.name?.startsWith('rs-')), 'generateName rs-');

    // A pod whose labels stop matching is released and replaced.
    await store.guaranteedUpdate<PodLike>(PODS, 'default', 'orphan', (p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'other' } } }));
    await waitFor('released', async () => !controllerRef(await store.get<PodLike>(PODS, 'default', 'orphan')));
    await waitFor('replacement', async () => (await podsOf({ app: 'rs' })).filter(isPodReady).length === 3);

    await store.guaranteedUpdate<ReplicaSet>(REPLICASETS, 'default', 'rs', (r) => ({ ...r, spec: { ...r.spec, replicas: 1 } }));
    await waitFor('scaled to 1', async () => (await podsOf({ app: 'rs' })).length === 1);
    const scaled = await waitFor('status 1', async () => {
      const r = await store.get<ReplicaSet>(REPLICASETS, 'default', 'rs');
      return r.status?.replicas === 1 && r.status.observedGeneration === 2 ? r : undefined;
    });
    t.equal(scaled.status?.readyReplicas, 1);
    await store.delete(REPLICASETS, 'default', 'rs');
  });

  await t.test('deployment: rolling update stays within surge/unavailable; undo; kill mid-rollout', async (t) => {
    const replicas = 4;
    const surge = 1;
    const unavailable = 1;
    // Two deployment controllers with leader election: only one acts.
    const dcA = new DeploymentController(store, c.logger, c.metrics, testOptions({}, true));
    const storeB = await c.openStore();
    const dcB = new DeploymentController(storeB, c.logger, c.metrics, testOptions({}, true));
    await dcA.start();
    t.teardown(() => dcA.stop());
    await waitFor('A leads', () => dcA.isActing);
    await dcB.start();
    t.teardown(() => dcB.stop());

    // Watch every pod event and check the bounds while a rollout runs.
    const pods = new Map<string, PodLike>();
    let checking = false;
    const violations: string[] = [];
    let maxSeen = 0;
    let minReadySeen = Infinity;
    const watch = await store.watch<PodLike>(PODS, { namespace: 'default', predicate: (p) => p.metadata.labels?.app === 'web' });
    t.teardown(() => watch.stop());
    void (async () => {
      for await (const ev of watch) {
        if (ev.type === 'DELETED') pods.delete(ev.object.metadata.uid!);
        else if (ev.type !== 'BOOKMARK') pods.set(ev.object.metadata.uid!, ev.object);
        if (!checking) continue;
        const live = [...pods.values()].filter((p) => !p.metadata.deletionTimestamp);
        const ready = live.filter(isPodReady).length;
        maxSeen = Math.max(maxSeen, live.length);
        minReadySeen = Math.min(minReadySeen, ready);
        if (live.length > replicas + surge) violations.push(`${live.length} pods`);
        if (ready < replicas - unavailable) violations.push(`${ready} ready`);
      }
    })();

    const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: container(image) });
    await store.create(DEPLOYMENTS, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web'),
      spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template('web:v1'), strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } },
    });
    const complete = (generation: number) => async () => {
      const d = await store.get<Deployment>(DEPLOYMENTS, 'default', 'web');
      const s = d.status;
      const progressing = s?.conditions?.find((x) => x.type === 'Progressing');
      return s?.observedGeneration === generation && s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas && progressing?.reason === 'NewReplicaSetAvailable' ? d : undefined;
    };
    let d = await waitFor('v1 available', complete(1));
    t.equal(d.metadata.annotations?.[REVISION], '1');
    t.ok(d.status?.conditions?.some((x) => x.type === 'Available' && x.status === 'True' && x.reason === 'MinimumReplicasAvailable'));
    const rsList = async () => (await store.list<ReplicaSet>(REPLICASETS, { namespace: 'default' })).items.filter((r) => r.metadata.name?.startsWith('web-'));
    const [rs1] = await rsList();
    t.ok(rs1?.metadata.labels?.[HASH_LABEL] && rs1.spec.selector?.matchLabels?.[HASH_LABEL] === rs1.metadata.labels[HASH_LABEL], 'pod-template-hash on RS labels and selector');
    t.equal(rs1?.metadata.name, `web-${rs1?.metadata.labels?.[HASH_LABEL]}`);

    // v1 -> v2 under watch.
    checking = true;
    await store.guaranteedUpdate<Deployment>(DEPLOYMENTS, 'default', 'web', (x) => ({ ...x, spec: { ...x.spec, template: template('web:v2') } }));
    d = await waitFor('v2 rolled out', complete(2), 30_000);
    t.equal(d.metadata.annotations?.[REVISION], '2');
    t.same(violations, [], 'bounds held on every pod event');
    t.ok(maxSeen > replicas, `surged (max ${maxSeen} pods)`);
    const images = async () => [...pods.values()].filter((p) => !p.metadata.deletionTimestamp).map((p) => (p.spec?.containers?.[0] as { image?: string }).image);
    await waitFor('all pods v2', async () => (await images()).length === replicas && (await images()).every((i) => i === 'web:v2'));
    const after = await rsList();
    t.equal(after.length, 2);
    t.same(after.map((r) => [r.metadata.annotations?.[REVISION], r.spec.replicas]).sort(), [['1', 0], ['2', replicas]]);
    // Events as `kubectl describe deployment` shows them (upstream wording).
    const scaling = await waitFor('ScalingReplicaSet events', async () => {
      const evs = (await store.list<KubeObject & { reason?: string; message?: string; involvedObject?: { name?: string; kind?: string } }>(EVENTS, { namespace: 'default' })).items;
      const mine = evs.filter((e) => e.reason === 'ScalingReplicaSet' && e.involvedObject?.kind === 'Deployment' && e.involvedObject.name === 'web');
      return mine.length >= 3 ? mine : undefined;
    });
    t.ok(scaling.every((e) => /^Scaled (up|down) replica set web-[a-z0-9]+ to \d+ from \d+$/.test(e.message ?? '')), 'ScalingReplicaSet messages');
    t.ok(scaling.some((e) => e.message?.startsWith(`Scaled up replica set ${rs1!.metadata.name} to ${replicas} from 0`)), 'first scale-up of v1');
    const created = (await store.list<KubeObject & { reason?: string; message?: string }>(EVENTS, { namespace: 'default' })).items.filter((e) => e.reason === 'SuccessfulCreate');
    t.ok(created.some((e) => /^Created pod: web-[a-z0-9]+-[a-z0-9]+$/.test(e.message ?? '')), 'ReplicaSet SuccessfulCreate events');

    // Undo: kubectl patches the template back to revision 1's; that RS becomes revision 3.
    await store.guaranteedUpdate<Deployment>(DEPLOYMENTS, 'default', 'web', (x) => ({ ...x, spec: { ...x.spec, template: template('web:v1') } }));
    d = await waitFor('undo rolled out', complete(3), 30_000);
    t.equal(d.metadata.annotations?.[REVISION], '3');
    const undone = await store.get<ReplicaSet>(REPLICASETS, 'default', rs1!.metadata.name!);
    t.equal(undone.metadata.annotations?.[REVISION], '3', 'the old RS got the new revision');
    t.equal(undone.spec.replicas, replicas);
    await waitFor('all pods v1 again', async () => (await images()).length === replicas && (await images()).every((i) => i === 'web:v1'));
    t.same(violations, [], 'bounds held during undo');

    // Kill the acting controller mid-rollout; the standby takes over and finishes.
    await store.guaranteedUpdate<Deployment>(DEPLOYMENTS, 'default', 'web', (x) => ({ ...x, spec: { ...x.spec, template: template('web:v3') } }));
    await waitFor('rollout started', async () => (await images()).includes('web:v3'));
    t.ok(dcA.isActing && !dcB.isActing, 'only A acts');
    await dcA.crash();
    d = await waitFor('v3 rolled out by B', complete(4), 30_000);
    t.ok(dcB.isActing, 'B took over');
    t.equal(d.metadata.annotations?.[REVISION], '4');
    await waitFor('all pods v3', async () => (await images()).length === replicas && (await images()).every((i) => i === 'web:v3'));
    t.same(violations, [], 'bounds held across the takeover');
    t.ok(minReadySeen >= replicas - unavailable);
    const metrics = await c.metrics.getSingleMetricAsString('workqueue_adds_total');
    t.match(metrics, /workqueue_adds_total\{name="deployment"\} \d+/);
  });

  await t.test('deployment: scale during rollout is proportional; pause; recreate', async (t) => {
    const dc = new DeploymentController(store, c.logger, c.metrics, testOptions());
    await dc.start();
    t.teardown(() => dc.stop());
    const template = (image: string) => ({ metadata: { labels: { app: 'p' } }, spec: container(image) });
    await store.create(DEPLOYMENTS, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('p'),
      spec: { replicas: 2, paused: true, selector: { matchLabels: { app: 'p' } }, template: template('p:v1'), strategy: { type: 'Recreate' } },
    });
    const d = await waitFor('paused condition', async () => {
      const d = await store.get<Deployment>(DEPLOYMENTS, 'default', 'p');
      return d.status?.conditions?.find((x) => x.type === 'Progressing')?.reason === 'DeploymentPaused' ? d : undefined;
    });
    t.equal((await store.list(REPLICASETS, { namespace: 'default', predicate: (r: KubeObject) => r.metadata.name!.startsWith('p-') })).items.length, 0, 'paused: no RS');
    t.ok(d);
    await store.guaranteedUpdate<Deployment>(DEPLOYMENTS, 'default', 'p', (x) => ({ ...x, spec: { ...x.spec, paused: false } }));
    await waitFor('recreate v1 ready', async () => (await store.get<Deployment>(DEPLOYMENTS, 'default', 'p')).status?.availableReplicas === 2);
    await store.guaranteedUpdate<Deployment>(DEPLOYMENTS, 'default', 'p', (x) => ({ ...x, spec: { ...x.spec, template: template('p:v2') } }));
    const done = await waitFor('recreate v2', async () => {
      const d = await store.get<Deployment>(DEPLOYMENTS, 'default', 'p');
      return d.status?.updatedReplicas === 2 && d.status.availableReplicas === 2 && d.status.replicas === 2 && d.status.observedGeneration === 3 ? d : undefined;
    });
    t.equal(done.metadata.annotations?.[REVISION], '2');

    // Proportional scaling: a rollout stalled on unready pods, then the deployment is scaled.
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } };
    await store.create(DEPLOYMENTS, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('prop'),
      spec: { replicas: 10, selector: { matchLabels: { app: 'prop' } }, template: { metadata: { labels: { app: 'prop' } }, spec: container('ok') }, strategy },
    });
    await waitFor('prop available', async () => (await store.get<Deployment>(DEPLOYMENTS, 'default', 'prop')).status?.availableReplicas === 10);
    await store.guaranteedUpdate<Deployment>(DEPLOYMENTS, 'default', 'prop', (x) => ({ ...x, spec: { ...x.spec, template: { metadata: { labels: { app: 'prop' } }, spec: container('broken') } } }));
    const sizes = async () => {
      const rss = (await store.list<ReplicaSet>(REPLICASETS, { namespace: 'default' })).items.filter((r) => r.metadata.name?.startsWith('prop-'));
      const rev = (n: string) => rss.find((r) => r.metadata.annotations?.[REVISION] === n)?.spec.replicas;
      return [rev('1'), rev('2')];
    };
    await waitFor('stalled at old 8 / new 5', async () => (await sizes()).join() === '8,5');
    await store.guaranteedUpdate<Deployment>(DEPLOYMENTS, 'default', 'prop', (x) => ({ ...x, spec: { ...x.spec, replicas: 20 } }));
    await waitFor('scaled proportionally', async () => (await sizes()).join() === '14,9');
    t.same(await sizes(), [14, 9], '10 more replicas split 6:4 by the RS sizes (20 + surge 3 = 23 in all)');
  });
});
