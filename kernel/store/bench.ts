// `npm run bench store`: the store's create/update rates next to the raw NATS KV put rate
// measured in the same run (the layer's own limit), a 100,000-object list, and watch fan-out
// latency to 100 watchers. Runs against its own embedded nats-server in a temp directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvWatchInclude } from 'nats';
import { connectNats } from '../services.js';
import { formatTable, runConcurrently, summarize, writeJson, type Benchmark, type Row } from '../bench/report.js';
import { startEmbeddedNats } from '../nats/embedded.js';
import type { KubeObject } from '../objects/types.js';
import { KvWriter } from './kv-writer.js';
import { openObjectStore } from './mod.js';

const CM = { group: '', resource: 'configmaps', namespaced: true };

function payload(i: number): KubeObject {
  // ~1.5 KB, like a small real object.
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `obj-${i}`, namespace: 'bench', labels: { app: 'bench', shard: String(i % 16) } }, data: { blob: 'x'.repeat(1300) } };
}

async function rate(label: string, total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  return (await runConcurrently(label, total, concurrency, op)).opsPerSecond;
}

export const benchmark: Benchmark = {
  area: 'store',
  description: 'object store over JetStream KV vs raw KV',
  async run(args) {
    const n = Number(args.flags.get('objects') ?? 10_000);
    const listN = Number(args.flags.get('list-objects') ?? 100_000);
    const dir = mkdtempSync(join(tmpdir(), 'kite-bench-store-'));
    const server = await startEmbeddedNats({ dataDir: dir });
    const rows: Row[] = [];
    try {
      const nc = await connectNats([server.url], 'kite-bench');
      const js = nc.jetstream();
      const raw = await js.views.kv('rawbench', { history: 1 });
      const enc = new TextEncoder();
      const rawWriter = new KvWriter(nc, 'rawbench');
      const store = await openObjectStore(nc, { bucket: 'bench', metrics: undefined });
      await store.create({ group: '', resource: 'namespaces', namespaced: false }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });

      for (const concurrency of [1, 64]) {
        const total = concurrency === 1 ? Math.min(n, 2000) : n;
        const rawPut = await rate(`raw put c=${concurrency}`, total, concurrency, (i) => raw.put(`configmaps.bench.c${concurrency}-${i}`, enc.encode(JSON.stringify(payload(i)))));
        // The same puts through the store's own publish path (no per-request timer/error objects).
        const rawWriterPut = await rate(`raw writer put c=${concurrency}`, total, concurrency, (i) => rawWriter.put(`configmaps.bench.r${concurrency}-${i}`, enc.encode(JSON.stringify(payload(i))), 0));
        const create = await rate(`create c=${concurrency}`, total, concurrency, (i) => store.create(CM, { ...payload(i), metadata: { ...payload(i).metadata, name: `c${concurrency}-${i}` } }));
        const update = await rate(`update c=${concurrency}`, total, concurrency, (i) =>
          store.guaranteedUpdate(CM, 'bench', `c${concurrency}-${i}`, (o) => ({ ...o, data: { blob: 'y'.repeat(1300) } })));
        // The store's cache feed decodes every write in this process: show that share of the cost.
        const feed = await raw.watch({ key: '>', include: KvWatchInclude.UpdatesOnly });
        const drain = (async () => { for await (const e of feed) JSON.parse(new TextDecoder().decode(e.value)); })();
        const rawWatched = await rate(`raw put+watch c=${concurrency}`, total, concurrency, (i) => raw.put(`configmaps.bench.w${concurrency}-${i}`, enc.encode(JSON.stringify(payload(i)))));
        feed.stop();
        await drain;
        rows.push({ case: `raw KV put (nats.js kv.put), concurrency ${concurrency}`, 'ops/s': rawPut, 'of raw': '100%' });
        rows.push({ case: `raw KV create-CAS via KvWriter (the store's publish path), concurrency ${concurrency}`, 'ops/s': rawWriterPut, 'of raw': `${Math.round((rawWriterPut / rawPut) * 100)}%` });
        rows.push({ case: `raw KV put + a watcher decoding in-process, concurrency ${concurrency}`, 'ops/s': rawWatched, 'of raw': `${Math.round((rawWatched / rawPut) * 100)}%` });
        rows.push({ case: `store create, concurrency ${concurrency}`, 'ops/s': create, 'of raw': `${Math.round((create / rawPut) * 100)}%` });
        rows.push({ case: `store update (get+CAS), concurrency ${concurrency}`, 'ops/s': update, 'of raw': `${Math.round((update / rawPut) * 100)}%` });
      }

      // List: fill to listN objects through raw pipelined puts (the store's key format), then list.
      const filler = listN - n;
      await rate('fill for list', filler, 256, (i) => raw.put(`x${i}`, enc.encode('x')).then(() => undefined));
      await rate('fill store', filler, 128, (i) => store.create(CM, { ...payload(i), metadata: { ...payload(i).metadata, name: `fill-${i}` } }));
      const listTimes: number[] = [];
      let count = 0;
      for (let r = 0; r < 5; r++) {
        const t0 = performance.now();
        const l = await store.list(CM, { namespace: 'bench' });
        listTimes.push(performance.now() - t0);
        count = l.items.length;
      }
      const ls = summarize(listTimes);
      rows.push({ case: `list ${count} objects (consistent, from cache)`, 'p50 ms': ls.p50, 'max ms': ls.max });
      const t1 = performance.now();
      const fresh = await openObjectStore(await connectNats([server.url], 'kite-bench'), { bucket: 'bench' });
      rows.push({ case: `open store: load ${count} objects into the cache`, 'p50 ms': performance.now() - t1 });
      await fresh.close();

      // Watch fan-out: 100 watchers, one writer; latency from write ack to each watcher's receipt.
      const watchers = await Promise.all(Array.from({ length: 100 }, () => store.watch(CM, { namespace: 'bench', resourceVersion: store.currentResourceVersion(), predicate: (o) => o.metadata.name!.startsWith('fan-') })));
      const latencies: number[] = [];
      const its = watchers.map((w) => w[Symbol.asyncIterator]());
      for (let i = 0; i < 200; i++) {
        const t0 = performance.now();
        const pending = its.map((it) => it.next().then(() => latencies.push(performance.now() - t0)));
        await store.create(CM, { ...payload(i), metadata: { ...payload(i).metadata, name: `fan-${i}` } });
        await Promise.all(pending);
      }
      watchers.forEach((w) => w.stop());
      const fan = summarize(latencies);
      rows.push({ case: 'watch fan-out to 100 watchers (create → event)', 'p50 ms': fan.p50, 'p99 ms': fan.p99, 'max ms': fan.max });
      await store.close();
      rawWriter.close();
      await nc.close();
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    process.stdout.write(formatTable(rows));
    writeJson(args.json, { area: 'store', when: new Date().toISOString(), rows });
    process.stdout.write(`wrote ${args.json}\n`);
  },
};
