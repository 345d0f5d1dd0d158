// kill -9 of `kite up` in the middle of a Deployment rollout, with the real kubectl: after a
// restart on the same data the rollout finishes with the right counts and no leftover pods.
import t from 'tap';
import { root, startKubectlSession } from './kubectl.testkit.js';

t.test('kubectl against kite up killed mid-rollout', { skip: root ? false : 'needs root for runc pods', timeout: 280_000 }, async (t) => {
  const s = await startKubectlSession(t);

  await t.test('kill -9 of kite up in the middle of a rollout: after a restart the rollout finishes', async (t) => {
    s.use(t);
    await s.ok(['create', 'deployment', 'crash', '--image=busybox', '--replicas=4', '--', 'sleep', '3600'], 'create');
    await s.ok(['rollout', 'status', 'deployment/crash', '--timeout=120s'], 'rollout status v1');
    await s.ok(['patch', 'deployment', 'crash', '-p', '{"spec":{"strategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}'], 'one pod at a time');
    await s.ok(['set', 'image', 'deployment/crash', 'busybox=busybox:1.36'], 'set image');
    await s.waitFor('the rollout under way', async () => (await s.k('get', 'rs', '-l', 'app=crash', '--no-headers')).stdout.trim().split('\n').length === 2);
    await s.crashAndRestart();
    const status = await s.ok(['rollout', 'status', 'deployment/crash', '--timeout=180s'], 'rollout status after the restart');
    t.match(status.stdout, /successfully rolled out/);
    const d = JSON.parse((await s.k('get', 'deployment', 'crash', '-o', 'json')).stdout) as { status: Record<string, number> };
    t.match(d.status, { replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4 }, 'the right counts');
    const running = (await s.k('get', 'pods', '-l', 'app=crash', '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image} {.status.phase}{"\\n"}{end}')).stdout.trim().split('\n');
    await s.waitFor('4 v2 pods and no others', async () => {
      const lines = (await s.k('get', 'pods', '-l', 'app=crash', '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image} {.status.phase}{"\\n"}{end}')).stdout.trim().split('\n');
      return lines.length === 4 && lines.every((l) => l === 'busybox:1.36 Running');
    });
    t.ok(running.length >= 4);
    await s.ok(['delete', 'deployment', 'crash'], 'delete');
    await s.waitFor('pods gone', async () => (await s.k('get', 'pods', '-l', 'app=crash', '--no-headers')).stdout.trim() === '', 120_000);
  });
});
