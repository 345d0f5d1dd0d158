// The seeds' Deployment workflows with the real kubectl against the real `kite up` (scheduler,
// controllers and a runc node): create, rollout status|history|undo|pause|resume|restart,
// set image, scale, describe events, delete with and without --cascade=orphan.
import t, { type Test } from 'tap';
import { startTestKite, type KubectlResult } from '../../kernel/testing/kite.js';

const root = process.getuid?.() === 0;

t.test('kubectl rollout workflows against kite up', { skip: root ? false : 'needs root for runc pods', timeout: 280_000 }, async (t) => {
  let kite = await startTestKite(t);
  const k = (...args: string[]) => kite.kubectl(args);
  let current: Test = t;
  const ok = async (args: string[], what: string): Promise<KubectlResult> => {
    const t = current;
    const r = await kite.kubectl(args);
    t.equal(r.code, 0, `${what}: exit 0${r.code ? ` (${r.stderr.trim()})` : ''}`);
    return r;
  };
  const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    current.fail(`timed out waiting for ${what}`);
    return false;
  };
  const jsonpath = async (args: string[], path: string) => (await k('get', ...args, '-o', `jsonpath=${path}`)).stdout.trim();
  const rsCount = async () => (await k('get', 'rs', '-l', 'app=web', '--no-headers')).stdout.split('\n').filter(Boolean).length;

  await waitFor('a Ready node', async () => / Ready /.test((await k('get', 'nodes')).stdout));

  await t.test('create, rollout status, events', async (t) => {
    current = t;
    const created = await ok(['create', 'deployment', 'web', '--image=busybox', '--replicas=3', '--', 'sleep', '3600'], 'create deployment');
    t.equal(created.stdout.trim(), 'deployment.apps/web created');
    const status = await ok(['rollout', 'status', 'deployment/web', '--timeout=120s'], 'rollout status');
    t.match(status.stdout, /deployment "web" successfully rolled out/);
    const pods = await k('get', 'pods', '-l', 'app=web', '--no-headers');
    t.equal(pods.stdout.trim().split('\n').filter((l) => / 1\/1 +Running /.test(l)).length, 3, '3 pods 1/1 Running');
    const describe = await ok(['describe', 'deployment', 'web'], 'describe');
    t.match(describe.stdout, /ScalingReplicaSet .*Scaled up replica set web-[a-z0-9]+ to 3 from 0/);
    t.match(describe.stdout, /Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable/);
  });

  await t.test('set image rolls out revision 2; history; undo', async (t) => {
    current = t;
    const set = await ok(['set', 'image', 'deployment/web', 'busybox=busybox:1.36'], 'set image');
    t.equal(set.stdout.trim(), 'deployment.apps/web image updated');
    const status = await ok(['rollout', 'status', 'deployment/web', '--timeout=120s'], 'rollout status v2');
    t.match(status.stdout, /successfully rolled out/);
    t.equal(await jsonpath(['deployment', 'web'], '{.spec.template.spec.containers[0].image}'), 'busybox:1.36');
    const history = await ok(['rollout', 'history', 'deployment/web'], 'history');
    t.match(history.stdout, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    const rev1 = await ok(['rollout', 'history', 'deployment/web', '--revision=1'], 'history --revision=1');
    t.match(rev1.stdout, /Image:\s+busybox\n/);
    const undo = await ok(['rollout', 'undo', 'deployment/web'], 'undo');
    t.equal(undo.stdout.trim(), 'deployment.apps/web rolled back');
    await ok(['rollout', 'status', 'deployment/web', '--timeout=120s'], 'rollout status after undo');
    t.equal(await jsonpath(['deployment', 'web'], '{.spec.template.spec.containers[0].image}'), 'busybox');
    t.equal(await jsonpath(['deployment', 'web'], '{.metadata.annotations.deployment\\.kubernetes\\.io/revision}'), '3');
    t.match((await k('rollout', 'history', 'deployment/web')).stdout, /\n2\s+<none>\n3\s+<none>/);
    t.equal(await rsCount(), 2, 'the undone RS was reused: two ReplicaSets');
  });

  await t.test('pause, resume, restart', async (t) => {
    current = t;
    t.equal((await ok(['rollout', 'pause', 'deployment/web'], 'pause')).stdout.trim(), 'deployment.apps/web paused');
    await ok(['set', 'image', 'deployment/web', 'busybox=busybox:1.35'], 'set image while paused');
    await new Promise((r) => setTimeout(r, 1500));
    t.equal(await rsCount(), 2, 'paused: no new ReplicaSet');
    t.equal((await ok(['rollout', 'resume', 'deployment/web'], 'resume')).stdout.trim(), 'deployment.apps/web resumed');
    await ok(['rollout', 'status', 'deployment/web', '--timeout=120s'], 'rollout status after resume');
    t.equal(await rsCount(), 3);
    t.equal((await ok(['rollout', 'restart', 'deployment/web'], 'restart')).stdout.trim(), 'deployment.apps/web restarted');
    await ok(['rollout', 'status', 'deployment/web', '--timeout=120s'], 'rollout status after restart');
    t.match(await jsonpath(['deployment', 'web'], '{.spec.template.metadata.annotations}'), /kubectl\.kubernetes\.io\/restartedAt/);
    t.equal(await jsonpath(['deployment', 'web'], '{.metadata.annotations.deployment\\.kubernetes\\.io/revision}'), '5');
  });

  await t.test('scale, delete --cascade=orphan keeps pods, delete cascades', async (t) => {
    current = t;
    t.equal((await ok(['scale', 'deployment', 'web', '--replicas=1'], 'scale')).stdout.trim(), 'deployment.apps/web scaled');
    await waitFor('1 pod left', async () => (await k('get', 'pods', '-l', 'app=web', '--no-headers')).stdout.trim().split('\n').filter((l) => / Running /.test(l)).length === 1 && !/Terminating/.test((await k('get', 'pods', '-l', 'app=web')).stdout));
    await ok(['delete', 'deployment', 'web', '--cascade=orphan'], 'delete --cascade=orphan');
    await new Promise((r) => setTimeout(r, 1500));
    t.ok((await rsCount()) >= 1, 'ReplicaSets kept');
    t.match((await k('get', 'pods', '-l', 'app=web')).stdout, /Running/, 'pods kept');
    await ok(['delete', 'rs', '-l', 'app=web'], 'delete the ReplicaSets');
    await waitFor('pods gone', async () => (await k('get', 'pods', '-l', 'app=web', '--no-headers')).stdout.trim() === '', 120_000);
  });

  await t.test('a Deployment deleted with the default cascade takes its ReplicaSets and pods', async (t) => {
    current = t;
    await ok(['create', 'deployment', 'gone', '--image=busybox', '--replicas=2', '--', 'sleep', '3600'], 'create');
    await ok(['rollout', 'status', 'deployment/gone', '--timeout=120s'], 'rollout status');
    await ok(['delete', 'deployment', 'gone'], 'delete');
    await waitFor('ReplicaSets and pods gone', async () => (await k('get', 'rs,pods', '-l', 'app=gone', '--no-headers')).stdout.trim() === '' , 120_000);
  });

  await t.test('kill -9 of kite up in the middle of a rollout: after a restart the rollout finishes', async (t) => {
    current = t;
    await ok(['create', 'deployment', 'crash', '--image=busybox', '--replicas=4', '--', 'sleep', '3600'], 'create');
    await ok(['rollout', 'status', 'deployment/crash', '--timeout=120s'], 'rollout status v1');
    await ok(['patch', 'deployment', 'crash', '-p', '{"spec":{"strategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}'], 'one pod at a time');
    await ok(['set', 'image', 'deployment/crash', 'busybox=busybox:1.36'], 'set image');
    await waitFor('the rollout under way', async () => (await k('get', 'rs', '-l', 'app=crash', '--no-headers')).stdout.trim().split('\n').length === 2);
    const exited = new Promise((r) => kite.child.once('exit', r));
    kite.child.kill('SIGKILL');
    await exited;
    kite = await kite.restart();
    const status = await ok(['rollout', 'status', 'deployment/crash', '--timeout=180s'], 'rollout status after the restart');
    t.match(status.stdout, /successfully rolled out/);
    const d = JSON.parse((await k('get', 'deployment', 'crash', '-o', 'json')).stdout) as { status: Record<string, number> };
    t.match(d.status, { replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4 }, 'the right counts');
    const running = (await k('get', 'pods', '-l', 'app=crash', '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image} {.status.phase}{"\\n"}{end}')).stdout.trim().split('\n');
    await waitFor('4 v2 pods and no others', async () => {
      const lines = (await k('get', 'pods', '-l', 'app=crash', '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image} {.status.phase}{"\\n"}{end}')).stdout.trim().split('\n');
      return lines.length === 4 && lines.every((l) => l === 'busybox:1.36 Running');
    });
    t.ok(running.length >= 4);
    await ok(['delete', 'deployment', 'crash'], 'delete');
    await waitFor('pods gone', async () => (await k('get', 'pods', '-l', 'app=crash', '--no-headers')).stdout.trim() === '', 120_000);
  });
});
