// `npm run bench controllers`: a Deployment of --replicas (default 1,000) hollow pods from create
// to all available, then a full rolling update of it, with the ReplicaSet controller's reconcile
// rate. The controllers, a hollow kubelet and the store share this process and one nats-server.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { Registry } from 'prom-client';
import { formatTable, writeJson, type Benchmark, type Row } from '../../kernel/bench/report.js';
import { HollowKubelet } from '../../kernel/controller/testing.js';
import { createLogger } from '../../kernel/log.js';
import { startEmbeddedNats } from '../../kernel/nats/embedded.js';
import { ResourceRegistry } from '../../kernel/objects/registry.js';
import { createAdmission } from '../../kernel/objects/validation/mod.js';
import { openObjectStore } from '../../kernel/store/mod.js';
import type { ObjectStore } from '../../kernel/store/types.js';
import { DeploymentController, DEPLOYMENTS } from './deployment/controller.js';
import type { Deployment } from './deployment/util.js';
import { ReplicaSetController } from './replicaset/controller.js';
import { NAMESPACES, PODS } from './resources.js';

const options = { workers: 5, leaderElection: { enabled: false, leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2, namespace: 'kube-system' } };

async function until(store: ObjectStore, done: (d: Deployment) => boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const d = await store.get<Deployment>(DEPLOYMENTS, 'bench', 'web');
    if (done(d)) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`not converged after ${timeoutMs} ms: ${JSON.stringify(d.status)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function syncCount(metrics: Registry, name: string): Promise<number> {
  const m = (await metrics.getSingleMetric('workqueue_work_duration_seconds')?.get()) as { values: { labels: Record<string, string>; metricName?: string; value: number }[] } | undefined;
  return m?.values.find((v) => v.labels.name === name && v.metricName?.endsWith('_count'))?.value ?? 0;
}

export const benchmark: Benchmark = {
  area: 'controllers',
  description: 'Deployment convergence and rolling update on hollow pods; ReplicaSet reconcile rate',
  async run(args) {
    const replicas = Number(args.flags.get('replicas') ?? 1000);
    const timeoutMs = Number(args.flags.get('timeout-ms') ?? 600_000);
    const dir = mkdtempSync(join(tmpdir(), 'kite-bench-controllers-'));
    const server = await startEmbeddedNats({ dataDir: dir });
    const rows: Row[] = [];
    const logger = createLogger({}, 'error');
    try {
      const nc = await connect({ servers: server.url });
      const store = await openObjectStore(nc, { admission: createAdmission(new ResourceRegistry()), logger });
      await store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
      const metrics = new Registry();
      const rsc = new ReplicaSetController(store, logger, metrics, { ...options, burstReplicas: 500 });
      const dc = new DeploymentController(store, logger, metrics, options);
      const kubelet = new HollowKubelet(store, { readyDelayMs: 0, selects: () => true });
      await Promise.all([rsc.start(), dc.start(), kubelet.start()]);
      const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image }] } });

      const syncs0 = await syncCount(metrics, 'replicaset');
      await store.create(DEPLOYMENTS, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'bench' }, spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template('web:v1') } });
      const converge = await until(store, (d) => d.status?.availableReplicas === replicas && d.status.updatedReplicas === replicas, timeoutMs);
      const syncs1 = await syncCount(metrics, 'replicaset');
      rows.push({ case: `create → ${replicas} available`, seconds: converge / 1000, 'pods/s': replicas / (converge / 1000), 'RS syncs/s': (syncs1 - syncs0) / (converge / 1000) });

      await store.guaranteedUpdate<Deployment>(DEPLOYMENTS, 'bench', 'web', (d) => ({ ...d, spec: { ...d.spec, template: template('web:v2') } }));
      const rollout = await until(
        store,
        (d) => d.status?.observedGeneration === 2 && d.status.updatedReplicas === replicas && d.status.replicas === replicas && d.status.availableReplicas === replicas,
        timeoutMs,
      );
      const syncs2 = await syncCount(metrics, 'replicaset');
      // Each replaced pod is one create and one delete.
      rows.push({ case: `rolling update of ${replicas} (25% surge/unavailable)`, seconds: rollout / 1000, 'pods/s': replicas / (rollout / 1000), 'RS syncs/s': (syncs2 - syncs1) / (rollout / 1000) });
      const pods = (await store.list(PODS, { namespace: 'bench' })).items.length;
      rows.push({ case: 'pods left after the rollout', seconds: '', 'pods/s': pods, 'RS syncs/s': '' });
      await Promise.all([rsc.stop(), dc.stop(), kubelet.stop()]);
      await store.close();
      await nc.close();
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    process.stdout.write(formatTable(rows));
    writeJson(args.json, { area: 'controllers', when: new Date().toISOString(), replicas, rows });
    process.stdout.write(`wrote ${args.json}\n`);
  },
};
