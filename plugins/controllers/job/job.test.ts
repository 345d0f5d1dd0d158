// The Job controller on a real store with hollow pods that succeed, fail or keep running.
import 'reflect-metadata';
import t from 'tap';
import { HollowKubelet } from '../../../kernel/controller/testing.js';
import type { PodLike } from '../../../kernel/controller/pods.js';
import { PODS } from '../../../kernel/controller/podcontrol.js';
import { container, meta, startTestCluster, testOptions, waitFor } from '../testing.js';
import { JobController, JOBS, type Job } from './controller.js';

t.test('job controller', async (t) => {
  const c = await startTestCluster(t);
  const { store } = c;
  const outcome: Record<string, 'Succeeded' | 'Failed' | undefined> = { ok: 'Succeeded', bad: 'Failed', slow: undefined };
  const kubelet = new HollowKubelet(store, { readyDelayMs: 20, selects: () => true, finish: (p) => outcome[p.metadata.labels?.['job-name'] ?? ''] });
  await kubelet.start();
  t.teardown(() => kubelet.stop());
  const jc = new JobController(store, c.logger, c.metrics, testOptions());
  await jc.start();
  t.teardown(() => jc.stop());

  const job = (name: string, spec: Partial<Job['spec']>, restartPolicy = 'Never') =>
    store.create(JOBS, { apiVersion: 'batch/v1', kind: 'Job', metadata: meta(name), spec: { ...spec, template: { spec: { ...container('busybox'), restartPolicy } } } });
  const condition = (name: string, type: string) => async () => {
    const j = await store.get<Job>(JOBS, 'default', name);
    return j.status?.conditions?.some((c) => c.type === type && c.status === 'True') ? j : undefined;
  };
  let maxActive = 0;
  const watch = await store.watch<PodLike>(PODS, { namespace: 'default', predicate: (p) => p.metadata.labels?.['job-name'] === 'ok' });
  t.teardown(() => watch.stop());
  const live = new Map<string, PodLike>();
  void (async () => {
    for await (const ev of watch) {
      if (ev.type === 'DELETED') live.delete(ev.object.metadata.uid!);
      else if (ev.type !== 'BOOKMARK') live.set(ev.object.metadata.uid!, ev.object);
      maxActive = Math.max(maxActive, [...live.values()].filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').length);
    }
  })();

  await job('ok', { completions: 3, parallelism: 2 });
  const ok = await waitFor('ok complete', condition('ok', 'Complete'));
  t.equal(ok.status?.succeeded, 3);
  t.equal(ok.status?.active, 0);
  t.ok(ok.status?.startTime && ok.status.completionTime, 'start and completion time');
  t.ok(maxActive <= 2, `parallelism held (max ${maxActive} active)`);
  t.equal((await store.list(PODS, { namespace: 'default', predicate: (p) => p.metadata.labels?.['job-name'] === 'ok' })).items.length, 3, 'exactly completions pods');

  await job('bad', { backoffLimit: 1 });
  const bad = await waitFor('bad failed', condition('bad', 'Failed'));
  t.equal(bad.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'BackoffLimitExceeded');
  t.equal(bad.status?.failed, 2, 'backoffLimit 1: fails on the second failure');

  // The deadline leaves the pods time to be seen running even on a loaded machine (1 s did not).
  await job('slow', { activeDeadlineSeconds: 4, parallelism: 2 }, 'OnFailure');
  await waitFor('slow running', async () => (await store.get<Job>(JOBS, 'default', 'slow')).status?.ready === 2);
  const slow = await waitFor('slow deadline', condition('slow', 'Failed'));
  t.equal(slow.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'DeadlineExceeded');
  await waitFor('slow pods deleted', async () => (await store.list(PODS, { namespace: 'default', predicate: (p) => p.metadata.labels?.['job-name'] === 'slow' })).items.length === 0);
  t.equal((await store.get<Job>(JOBS, 'default', 'slow')).status?.active, 0);
});
