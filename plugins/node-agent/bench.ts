// `npm run bench node`: pod startup latency (create → Running as seen by a watcher) for 1, 10 and
// 50 concurrent busybox pods on the runc runtime of this machine, driving runc and (when
// installed) crun; Kubernetes' SLO is p99 ≤ 5 s. Also the CPU all of it took (bench-cpu.ts): on a
// shared machine latency follows the other tenants, CPU spent does not.
import { existsSync } from 'node:fs';
import { formatTable, summarize, writeJson, type Benchmark, type Row } from '../../kernel/bench/report.js';
import { CpuMeter, type CpuSample } from './bench-cpu.js';
import { POD_RESOURCE, type Pod } from './pod-types.js';
import { runcUnavailable, startAgentHarness } from './testkit.js';

interface RoundResult {
  latencies: number[];
  /** From the first create until every pod is Running. */
  startCpu: CpuSample;
  deleteCpu: CpuSample;
  deleteMs: number;
}

async function round(h: Awaited<ReturnType<typeof startAgentHarness>>, meter: CpuMeter, n: number, tag: string): Promise<RoundResult> {
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
  const before = meter.sample();
  await Promise.all(Array.from({ length: n }, async (_, i) => {
    const name = `${tag}-${i}`;
    created.set(name, performance.now());
    await h.createPod(name, { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] });
  }));
  await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`${tag}: not all pods Running within 120 s`)), 120_000))]);
  const running = meter.sample();
  watch.stop();
  const deleting = performance.now();
  await Promise.all([...created.keys()].map((name) => h.store.delete(POD_RESOURCE, 'default', name)));
  for (const name of created.keys()) await h.waitForPod(name, 'deleted', (p) => !p, 60_000);
  const deleteMs = performance.now() - deleting;
  return { latencies, startCpu: CpuMeter.delta(before, running), deleteCpu: CpuMeter.delta(running, meter.sample()), deleteMs };
}

const coreS = (v: number | undefined) => (v === undefined ? 'n/a' : Number(v.toFixed(3)));

/** One agent on one OCI runtime binary: a warm-up pod, then each size in turn. */
async function runtimeRows(meter: CpuMeter, ociBinary: string | undefined, sizes: number[]): Promise<{ runtime: string; rows: Row[] }> {
  const teardowns: Array<() => unknown> = [];
  try {
    const h = await startAgentHarness({ teardown: (fn) => teardowns.push(fn) }, { runtimeOptions: { cgroupParent: `${meter.group}/pods`, ...(ociBinary ? { runc: ociBinary } : {}) } });
    await round(h, meter, 1, 'warmup'); // builds and unpacks the busybox image once
    const runtime = await h.runtime.version();
    const rows: Row[] = [];
    for (const n of sizes) {
      const r = await round(h, meter, n, `pods${n}`);
      const s = summarize(r.latencies);
      rows.push({
        runtime, 'concurrent pods': n, 'p50 ms': s.p50, 'p99 ms': s.p99, 'max ms': s.max, 'mean ms': s.mean,
        'start: all core-s': coreS(r.startCpu.allCoreS), 'start: bench process core-s': coreS(r.startCpu.benchCoreS),
        'delete ms': Math.round(r.deleteMs), 'delete: all core-s': coreS(r.deleteCpu.allCoreS),
      });
    }
    return { runtime, rows };
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}

const CRUN = '/usr/bin/crun';

export const benchmark: Benchmark = {
  area: 'node',
  description: 'pod startup latency on the runc runtime (create → Running), with runc and with crun',
  async run(args) {
    const why = runcUnavailable();
    if (why) throw new Error(`node benchmark: ${why}`);
    // Before anything starts: every process of the bench is counted (see bench-cpu.ts).
    const meter = new CpuMeter();
    // `--runc <binary>`: only that OCI runtime; by default runc, and crun when it is installed.
    const chosen = args.flags.get('runc');
    const binaries = typeof chosen === 'string' ? [chosen] : [undefined, ...(existsSync(CRUN) ? [CRUN] : [])];
    // `--pods 10,50`: other sizes.
    const sizes = typeof args.flags.get('pods') === 'string' ? String(args.flags.get('pods')).split(',').map(Number) : [1, 10, 50];
    try {
      const results = [];
      for (const binary of binaries) results.push(await runtimeRows(meter, binary, sizes));
      const rows = results.flatMap((r) => r.rows);
      process.stdout.write(formatTable(rows));
      writeJson(args.json, { area: 'node', runtimes: results.map((r) => r.runtime), rows });
    } finally {
      meter.close();
    }
  },
};
