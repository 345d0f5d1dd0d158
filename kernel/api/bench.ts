// `npm run bench api`: pod create, get, list (10,000 pods) and watch-event latency through the
// HTTPS API with a concurrent keep-alive client, against a kernel started in this process with no
// plugins. Prints the store benchmark's last table beside it when bench-results/store.json exists.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable, runConcurrently, summarize, writeJson, type Benchmark, type Row } from '../bench/report.js';
import { createLogger } from '../log.js';
import { startKernel } from '../kernel.js';

interface Client {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }>;
  stream(path: string, onLine: (line: string) => void): () => void;
}

function client(apiUrl: string, ca: Buffer, token: string): Client {
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ca });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' };
  return {
    call: (method, path, body) =>
      new Promise((resolve, reject) => {
        const req = request(new URL(path, apiUrl), { method, agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        });
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      }),
    stream: (path, onLine) => {
      let buf = '';
      const req = request(new URL(path, apiUrl), { method: 'GET', ca, headers }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            onLine(buf.slice(0, nl));
            buf = buf.slice(nl + 1);
          }
        });
      });
      req.on('error', () => undefined);
      req.end();
      return () => req.destroy();
    },
  };
}

function pod(i: number): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `bench-${i}`, labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
}

async function timed(label: string, total: number, concurrency: number, op: (i: number) => Promise<void>): Promise<{ rate: number; lat: number[] }> {
  const r = await runConcurrently(label, total, concurrency, op);
  return { rate: r.opsPerSecond, lat: r.latenciesMs };
}

export const benchmark: Benchmark = {
  area: 'api',
  description: 'Kubernetes API over HTTPS: create, get, list, watch latency',
  async run(args) {
    const n = Number(args.flags.get('pods') ?? 10_000);
    const concurrency = Number(args.flags.get('concurrency') ?? 32);
    const dir = mkdtempSync(join(tmpdir(), 'kite-bench-api-'));
    const config = join(dir, 'kite.yaml');
    writeFileSync(config, 'apiVersion: kite.dev/v1alpha1\nkind: KernelConfiguration\nplugins: []\n');
    const kernel = await startKernel({ dataDir: dir, apiPort: 0, configPath: config, logger: createLogger({ component: 'bench' }, 'warn') });
    const rows: Row[] = [];
    try {
      const c = client(kernel.apiUrl, readFileSync(join(dir, 'pki', 'ca.crt')), kernel.api.adminToken);
      const base = '/api/v1/namespaces/default/pods';
      // Watch-event latency: time from sending a create to its ADDED event on an open watch.
      const sent = new Map<string, number>();
      const watchLat: number[] = [];
      const stop = c.stream(`${base}?watch=true&resourceVersion=${kernel.services.store.currentResourceVersion()}`, (line) => {
        const name = (JSON.parse(line) as { object: { metadata: { name: string } } }).object.metadata.name;
        const s = sent.get(name);
        if (s !== undefined) { watchLat.push(performance.now() - s); sent.delete(name); }
      });
      await new Promise((r) => setTimeout(r, 200));
      const create = await timed('create', n, concurrency, async (i) => {
        sent.set(`bench-${i}`, performance.now());
        const r = await c.call('POST', base, pod(i));
        if (r.status !== 201) throw new Error(`create: ${r.status} ${r.body}`);
      });
      await new Promise((r) => setTimeout(r, 500));
      stop();
      const get = await timed('get', Math.min(n, 5000), concurrency, async (i) => {
        const r = await c.call('GET', `${base}/bench-${i}`);
        if (r.status !== 200) throw new Error(`get: ${r.status}`);
      });
      const list = await timed('list', 5, 1, async () => {
        const r = await c.call('GET', base);
        const items = (JSON.parse(r.body) as { items: unknown[] }).items.length;
        if (items !== n) throw new Error(`list returned ${items} pods, expected ${n}`);
      });
      const row = (name: string, r: { rate: number; lat: number[] }) => {
        const s = summarize(r.lat);
        return { case: name, 'req/s': r.rate, 'p50 ms': s.p50, 'p99 ms': s.p99, 'max ms': s.max };
      };
      rows.push(row(`create pod (concurrency ${concurrency})`, create));
      rows.push(row(`get pod (concurrency ${concurrency})`, get));
      rows.push(row(`list ${n} pods (JSON)`, list));
      const w = summarize(watchLat);
      rows.push({ case: `watch event latency (${w.count} events)`, 'p50 ms': w.p50, 'p99 ms': w.p99, 'max ms': w.max });
    } finally {
      await kernel.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    process.stdout.write(formatTable(rows));
    const storeJson = 'bench-results/store.json';
    if (existsSync(storeJson)) {
      process.stdout.write(`\nstore benchmark (${storeJson}), for the API's own overhead:\n`);
      process.stdout.write(formatTable((JSON.parse(readFileSync(storeJson, 'utf8')) as { rows: Row[] }).rows));
    }
    writeJson(args.json, { area: 'api', when: new Date().toISOString(), rows });
    process.stdout.write(`wrote ${args.json}\n`);
  },
};
