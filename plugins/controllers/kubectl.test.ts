// The seeds' Deployment workflows with the real kubectl against the real `kite up` (scheduler,
// controllers and a runc node): create, rollout status|history|undo|pause|resume|restart,
// set image, scale, describe events, delete with and without --cascade=orphan.
// (kill -9 of `kite up` mid-rollout is kubectl-restart.test.ts: one file each keeps both well
// inside tap's per-file timeout on a loaded 2-core machine.)
import t from 'tap';
import { root, startKubectlSession, type KubectlSession } from './kubectl.testkit.js';

const rsCount = async (s: KubectlSession) => (await s.k('get', 'rs', '-l', 'app=web', '--no-headers')).stdout.split('\n').filter(Boolean).length;

t.test('kubectl rollout workflows against kite up', { skip: root ? false : 'needs root for runc pods', timeout: 280_000 }, async (t) => {
  const s = await startKubectlSession(t);

  await t.test('create, rollout status, events', async (t) => {
    s.use(t);
    const created = await s.ok(['create', 'deployment', 'web', '--image=busybox', '--replicas=3', '--', 'sleep', '3600'], 'create deployment');
    t.equal(created.stdout.trim(), 'deployment.apps/web created');
    const status = await s.ok(['rollout', 'status', 'deployment/web', '--timeout=120s'], 'rollout status');
    t.match(status.stdout, /deployment "web" successfully rolled out/);
    const pods = await s.k('get', 'pods', '-l', 'app=web', '--no-headers');
    t.equal(pods.stdout.trim().split('\n').filter((l) => / 1\/1 +Running /.test(l)).length, 3, '3 pods 1/1 Running');
    const describe = await s.ok(['describe', 'deployment', 'web'], 'describe');
    t.match(describe.stdout, /ScalingReplicaSet .*Scaled up replica set web-[a-z0-9]+ to 3 from 0/);
    t.match(describe.stdout, /Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable/);
  });

  await t.test('set image rolls out revision 2; history; undo', async (t) => {
    s.use(t);
    const set = await s.ok(['set', 'image', 'deployment/web', 'busybox=busybox:1.36'], 'set image');
    t.equal(set.stdout.trim(), 'deployment.apps/web image updated');
    const status = await s.ok(['rollout', 'status', 'deployment/web', '--timeout=120s'], 'rollout status v2');
    t.match(status.stdout, /successfully rolled out/);
    t.equal(await s.jsonpath(['deployment', 'web'], '{.spec.template.spec.containers[0].image}'), 'busybox:1.36');
    const history = await s.ok(['rollout', 'history', 'deployment/web'], 'history');
    t.match(history.stdout, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    const rev1 = await s.ok(['rollout', 'history', 'deployment/web', '--revision=1'], 'history --revision=1');
    t.match(rev1.stdout, /Image:\s+busybox\n/);
    const undo = await s.ok(['rollout', 'undo', 'deployment/web'], 'undo');
    t.equal(undo.stdout.trim(), 'deployment.apps/web rolled back');
    await s.ok(['rollout', 'status', 'deployment/web', '--timeout=120s'], 'rollout status after undo');
    t.equal(await s.jsonpath(['deployment', 'web'], '{.spec.template.spec.containers[0].image}'), 'busybox');
    t.equal(await s.jsonpath(['deployment', 'web'], '{.metadata.annotations.deployment\\.kubernetes\\.io/revision}'), '3');
    t.match((await s.k('rollout', 'history', 'deployment/web')).stdout, /\n2\s+<none>\n3\s+<none>/);
    t.equal(await rsCount(s), 2, 'the undone RS was reused: two ReplicaSets');
  });

  await t.test('pause, resume, restart', async (t) => {
    s.use(t);
    t.equal((await s.ok(['rollout', 'pause', 'deployment/web'], 'pause')).stdout.trim(), 'deployment.apps/web paused');
    await s.ok(['set', 'image', 'deployment/web', 'busybox=busybox:1.35'], 'set image while paused');
    await new Promise((r) => setTimeout(r, 1500));
    t.equal(await rsCount(s), 2, 'paused: no new ReplicaSet');
    t.equal((await s.ok(['rollout', 'resume', 'deployment/web'], 'resume')).stdout.trim(), 'deployment.apps/web resumed');
    await s.ok(['rollout', 'status', 'deployment/web', '--timeout=120s'], 'rollout status after resume');
    t.equal(await rsCount(s), 3);
    t.equal((await s.ok(['rollout', 'restart', 'deployment/web'], 'restart')).stdout.trim(), 'deployment.apps/web restarted');
    await s.ok(['rollout', 'status', 'deployment/web', '--timeout=120s'], 'rollout status after restart');
    t.match(await s.jsonpath(['deployment', 'web'], '{.spec.template.metadata.annotations}'), /kubectl\.kubernetes\.io\/restartedAt/);
    t.equal(await s.jsonpath(['deployment', 'web'], '{.metadata.annotations.deployment\\.kubernetes\\.io/revision}'), '5');
  });

  await t.test('scale, delete --cascade=orphan keeps pods, delete cascades', async (t) => {
    s.use(t);
    t.equal((await s.ok(['scale', 'deployment', 'web', '--replicas=1'], 'scale')).stdout.trim(), 'deployment.apps/web scaled');
    await s.waitFor('1 pod left', async () => (await s.k('get', 'pods', '-l', 'app=web', '--no-headers')).stdout.trim().split('\n').filter((l) => / Running /.test(l)).length === 1 && !/Terminating/.test((await s.k('get', 'pods', '-l', 'app=web')).stdout));
    await s.ok(['delete', 'deployment', 'web', '--cascade=orphan'], 'delete --cascade=orphan');
    await new Promise((r) => setTimeout(r, 1500));
    t.ok((await rsCount(s)) >= 1, 'ReplicaSets kept');
    t.match((await s.k('get', 'pods', '-l', 'app=web')).stdout, /Running/, 'pods kept');
    await s.ok(['delete', 'rs', '-l', 'app=web'], 'delete the ReplicaSets');
    await s.waitFor('pods gone', async () => (await s.k('get', 'pods', '-l', 'app=web', '--no-headers')).stdout.trim() === '', 120_000);
  });

  await t.test('a Deployment deleted with the default cascade takes its ReplicaSets and pods', async (t) => {
    s.use(t);
    await s.ok(['create', 'deployment', 'gone', '--image=busybox', '--replicas=2', '--', 'sleep', '3600'], 'create');
    await s.ok(['rollout', 'status', 'deployment/gone', '--timeout=120s'], 'rollout status');
    await s.ok(['delete', 'deployment', 'gone'], 'delete');
    await s.waitFor('ReplicaSets and pods gone', async () => (await s.k('get', 'rs,pods', '-l', 'app=gone', '--no-headers')).stdout.trim() === '' , 120_000);
  });
});
