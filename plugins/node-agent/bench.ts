// `npm run bench node`: pod startup latency (create → Running as seen by a watcher) for 1, 10 and
// 50 concurrent busybox pods on the runc runtime of this machine; Kubernetes' SLO is p99 ≤ 5 s.
import { formatTable, summarize, writeJson, type Benchmark, type Row } from '../../kernel/bench/report.js';
import { POD_RESOURCE, type Pod } from './pod-types.js';
import { runcUnavailable, startAgentHarness } from './testkit.js';

async function round(h: Awaited<ReturnType<typeof startAgentHarness>>, n: number, tag: string): Promise<number[]> {
  const watch = await h.store.watch<Pod>(POD_RESOURCE, { namespace: 'default', resourceVersion: h.store.currentResourceVersion() });
  const created = new Map<string, number>();
  const latencies: number[] = [];
  const seen = new Set<string>();
  const done = (async () => {
    for await (const ev of watch) {
      const name = ev.object.metadata.name!;
      if (ev.object.status?.phase === 'Running' && created.has(name) && !seen.has(name)) {
        seen.add(name);
        latencies.push(performance.now() - created.get(name)!);
        if (seen.size === n) break;
      }
    }
  })();
  await Promise.all(Array.from({ length: n }, async (_, i) => {
    const name = `${tag}-${i}`;
    created.set(name, performance.now());
    await h.createPod(name, { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] });
  }));
  await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`${tag}: not all pods Running within 120 s`)), 120_000))]);
  watch.stop();
  await Promise.all([...created.keys()].map((name) => h.store.delete(POD_RESOURCE, 'default', name)));
  for (const name of created.keys()) await h.waitForPod(name, 'deleted', (p) => !p, 60_000);
  return latencies;
}

export const benchmark: Benchmark = {
  area: 'node',
  description: 'pod startup latency on the runc runtime (create → Running)',
  async run(args) {
    const why = runcUnavailable();
    if (why) throw new Error(`node benchmark: ${why}`);
    const teardowns: Array<() => unknown> = [];
    try {
      const h = await startAgentHarness({ teardown: (fn) => teardowns.push(fn) });
      await round(h, 1, 'warmup'); // builds and unpacks the busybox image once
      const rows: Row[] = [];
      for (const n of [1, 10, 50]) {
        const s = summarize(await round(h, n, `pods${n}`));
        rows.push({ 'concurrent pods': n, 'p50 ms': s.p50, 'p99 ms': s.p99, 'max ms': s.max, 'mean ms': s.mean });
      }
      process.stdout.write(formatTable(rows));
      writeJson(args.json, { area: 'node', runtime: 'runc', rows });
    } finally {
      for (const fn of teardowns.reverse()) await fn();
    }
  },
};
