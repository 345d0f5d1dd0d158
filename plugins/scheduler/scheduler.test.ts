// The scheduler over a real nats-server and store: placement, FailedScheduling text and condition,
// scheduling once a fitting node appears, binding conflicts, restart, out-of-tree plugins and a
// vendor score kernel.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { EVENTS } from '../../kernel/events/recorder.js';
import type { KubeObject } from '../../kernel/objects/types.js';
import { defaultWasmPath } from '../../wasm/score/score-wasm.js';
import { WasmScorer } from '../../wasm/score/score-wasm.js';
import { PODS, bindPod } from './binding.js';
import type { Pod, PluginFactory } from './framework/interfaces.js';
import { explainPod, formatExplain, type ExplainResult } from './explain.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import { startSchedulerCluster, waitFor, type SchedulerTestCluster } from './testdata/cluster.js';

const here = dirname(fileURLToPath(import.meta.url));
const noLeader = { leaderElection: { leaderElect: false } };

async function start(t: { teardown(fn: () => unknown): void }, c: SchedulerTestCluster, config: Record<string, unknown> = {}, extra: { factories?: PluginFactory[] } = {}): Promise<Scheduler> {
  const s = await createScheduler({ store: c.store, logger: c.logger, metrics: c.metrics, config: { ...noLeader, ...config }, factories: extra.factories, baseDir: here });
  t.teardown(() => s.stop());
  await s.start();
  return s;
}

async function eventsFor(c: SchedulerTestCluster, pod: string, reason: string): Promise<KubeObject[]> {
  const list = await c.store.list(EVENTS, { namespace: 'default' });
  return list.items.filter((e) => (e.involvedObject as { name?: string }).name === pod && e.reason === reason);
}

const nodeOf = async (c: SchedulerTestCluster, name: string) => (await c.getPod(name)).spec.nodeName as string | undefined;

t.test('places pods with the default profile and records Scheduled', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.addNode('node-1', '2', '4Gi');
  await c.addNode('node-2', '4', '8Gi');
  const s = await start(t, c);
  await c.addPod('nginx', { cpu: '500m', memory: '256Mi' });
  const node = await waitFor('nginx bound', () => nodeOf(c, 'nginx'));
  t.equal(node, 'node-2', 'LeastAllocated prefers the emptier node');
  const pod = await c.getPod('nginx');
  t.match((pod.status as { conditions?: unknown[] }).conditions, [{ type: 'PodScheduled', status: 'True' }]);
  const [ev] = await waitFor('Scheduled event', () => eventsFor(c, 'nginx', 'Scheduled').then((l) => (l.length ? l : undefined)));
  t.equal(ev!.message, 'Successfully assigned default/nginx to node-2');
  t.equal(ev!.type, 'Normal');
  t.same(ev!.source, { component: 'default-scheduler' });
  for (let i = 0; i < 6; i++) await c.addPod(`web-${i}`, { cpu: '100m' });
  await waitFor('all bound', async () => (await c.store.list<Pod>(PODS, { namespace: 'default' })).items.every((p) => p.spec.nodeName));
  await s.waitForIdle();
  t.equal(s.stats.scheduled, 7);
  const metrics = await c.metrics.metrics();
  t.match(metrics, /scheduler_schedule_attempts_total\{result="scheduled",profile="default-scheduler"\} 7/);
  t.match(metrics, /scheduler_pending_pods\{queue="active"\} 0/);
  t.match(metrics, /scheduler_scheduling_attempt_duration_seconds_count\{result="scheduled",profile="default-scheduler"\} 7/);
  t.match(metrics, /scheduler_framework_extension_point_duration_seconds_count\{extension_point="Bind",status="Success",profile="default-scheduler"\} 7/);
  t.match(metrics, /scheduler_pod_scheduling_duration_seconds_count\{attempts="1"\} 7/);
});

t.test('a pod that fits nowhere stays Pending with upstream text, then lands on a new node', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.addNode('node-1', '1', '4Gi', { disk: 'hdd' });
  await c.addNode('node-2', '1', '4Gi', { disk: 'ssd' });
  await c.addNode('node-3', '1', '4Gi', { disk: 'ssd' });
  const s = await start(t, c);
  await c.addPod('big', { cpu: '2', nodeSelector: { disk: 'ssd' } });
  // Upstream's text, double period included: DefaultPreemption's message is itself a FitError
  // sentence ending in "." and FitError.Error() appends " %v." (seen in real clusters' events).
  const expected =
    "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu. " +
    'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..';
  const cond = await waitFor('PodScheduled=False', async () => {
    const p = await c.getPod('big');
    return ((p.status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions ?? []).find((x) => x.type === 'PodScheduled');
  });
  t.same({ status: cond.status, reason: cond.reason, message: cond.message }, { status: 'False', reason: 'Unschedulable', message: expected });
  const [ev] = await waitFor('FailedScheduling', () => eventsFor(c, 'big', 'FailedScheduling').then((l) => (l.length ? l : undefined)));
  t.equal(ev!.message, expected);
  t.equal(ev!.type, 'Warning');
  t.same(ev!.source, { component: 'default-scheduler' });
  await s.waitForIdle();
  t.equal(s.queue.counts.unschedulable, 1, 'waits in the unschedulable set');
  // An event no rejecting plugin registered (a namespace) does not move it.
  await c.store.create({ group: '', resource: 'namespaces', namespaced: false }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
  await new Promise((r) => setTimeout(r, 200));
  t.equal(s.queue.counts.unschedulable, 1, 'still unschedulable after an unrelated event');
  t.equal(s.stats.unschedulable, 1, 'one attempt only');
  await c.addNode('node-4', '4', '8Gi', { disk: 'ssd' });
  t.equal(await waitFor('bound after node-4 appears', () => nodeOf(c, 'big')), 'node-4');
  t.equal((await eventsFor(c, 'big', 'FailedScheduling')).length, 1, 'one FailedScheduling event, not one per retry');
});

t.test('no nodes: "no nodes available to schedule pods"', async (t) => {
  const c = await startSchedulerCluster(t);
  await start(t, c);
  await c.addPod('lonely');
  const [ev] = await waitFor('FailedScheduling', () => eventsFor(c, 'lonely', 'FailedScheduling').then((l) => (l.length ? l : undefined)));
  t.equal(ev!.message, 'no nodes available to schedule pods');
  await c.addNode('node-1', '1', '1Gi');
  t.equal(await waitFor('bound', () => nodeOf(c, 'lonely')), 'node-1');
});

t.test('binding conflicts: a pod bound elsewhere meanwhile is dropped; bindPod refuses like pods/binding', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.addNode('node-1', '4', '8Gi');
  await c.addNode('node-2', '4', '8Gi');
  const pod = await c.addPod('raced');
  await bindPod(c.store, pod, 'node-1');
  await t.rejects(bindPod(c.store, pod, 'node-2'), { reason: 'Conflict', message: /already assigned to node "node-1"/ });
  await t.rejects(bindPod(c.store, { ...pod, metadata: { ...pod.metadata, uid: 'other' } }, 'node-2'), { reason: 'Conflict', message: /Precondition failed: UID in precondition/ });
  // A binder that loses the race: another writer binds first, the scheduler does not retry.
  let calls = 0;
  const racingBinder: PluginFactory = {
    name: 'RacingBinder',
    validate: () => ({}),
    create: (_a, handle) => ({
      name: 'RacingBinder',
      async bind(_s: unknown, info: { pod: Pod }, nodeName: string) {
        calls++;
        await bindPod(c.store, info.pod, 'node-2');
        try {
          await handle.bind(info.pod, nodeName);
          return { code: 'Success', reasons: [] };
        } catch (e) {
          return { code: 'Error', reasons: [(e as Error).message], error: e as Error };
        }
      },
    }),
  };
  const s = await start(t, c, { percentageOfNodesToScore: 100, profiles: [{ plugins: { bind: { enabled: [{ name: 'RacingBinder' }], disabled: [{ name: 'DefaultBinder' }] } } }] }, { factories: [racingBinder] });
  await c.addPod('contested');
  t.equal(await waitFor('bound by the other writer', () => nodeOf(c, 'contested')), 'node-2');
  await s.waitForIdle();
  await new Promise((r) => setTimeout(r, 300));
  t.equal(calls, 1, 'not retried');
  t.equal(s.queued({ metadata: { name: 'contested', namespace: 'default' } } as Pod), false, 'not queued');
  t.equal((await eventsFor(c, 'contested', 'FailedScheduling')).length, 0, 'no FailedScheduling');
});

t.test('a restarted scheduler schedules pods created while it was down', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.addNode('node-1', '4', '8Gi');
  const first = await start(t, c);
  await c.addPod('before');
  await waitFor('before bound', () => nodeOf(c, 'before'));
  await first.stop();
  for (let i = 0; i < 3; i++) await c.addPod(`while-down-${i}`);
  await new Promise((r) => setTimeout(r, 100));
  t.equal(await nodeOf(c, 'while-down-0'), undefined, 'nothing schedules while it is down');
  const second = await start(t, c);
  for (let i = 0; i < 3; i++) t.equal(await waitFor(`while-down-${i} bound`, () => nodeOf(c, `while-down-${i}`)), 'node-1');
  await second.waitForIdle();
  t.equal(second.stats.scheduled, 3, 'the already bound pod is not scheduled again');
});

t.test('out-of-tree plugin from a module path, and a vendor .wasm score kernel', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.addNode('blocked-1', '8', '16Gi', { 'vendor.example.com/blocked': 'true' });
  await c.addNode('plain-1', '1', '2Gi');
  const s = await start(t, c, {
    outOfTreePlugins: [{ module: './testdata/vendor-filter.js' }],
    profiles: [{ plugins: { multiPoint: { enabled: [{ name: 'VendorBlocklist' }] } } }],
  });
  await c.addPod('a');
  t.equal(await waitFor('a bound', () => nodeOf(c, 'a')), 'plain-1', 'the vendor filter kept the bigger node out');
  t.ok(s.frameworks.get('default-scheduler')!.filter.some((p) => p.name === 'VendorBlocklist'), 'the vendor plugin runs at Filter');
  await t.rejects(
    createScheduler({ store: c.store, logger: c.logger, metrics: c.metrics, config: { outOfTreePlugins: [{ module: './testdata/missing.js' }] }, baseDir: here }),
    { name: 'PluginConfigError', key: 'outOfTreePlugins[0].module' },
  );
  await t.rejects(
    createScheduler({ store: c.store, logger: c.logger, metrics: c.metrics, config: { profiles: [{ plugins: { filter: { enabled: [{ name: 'Nope' }] } } }] }, baseDir: here }),
    { name: 'PluginConfigError', key: 'profiles[0].plugins.filter.enabled[0].name', message: 'unknown plugin "Nope"' },
  );
});

t.test('a vendor score kernel (.wasm with the wasm/score ABI) replaces the built-in one', async (t) => {
  // The vendor kernel picks the highest-index feasible node; Kite's picks the emptiest.
  const root = dirname(dirname(dirname(dirname(defaultWasmPath()))));
  const dir = mkdtempSync(join(tmpdir(), 'kite-s1a-wasm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(join(root, 'plugins', 'scheduler', 'testdata', 'vendor-score.as'), join(dir, 'index.ts'));
  execFileSync(join(root, 'node_modules', '.bin', 'asc'), [join(dir, 'index.ts'), '-o', join(dir, 'vendor.wasm'), '-O3', '--runtime', 'stub', '--noAssert'], { stdio: 'pipe', timeout: 180_000 });
  const c = await startSchedulerCluster(t);
  await c.addNode('roomy', '16', '32Gi');
  await c.addNode('tight', '1', '1Gi');
  const builtin = await start(t, c, { percentageOfNodesToScore: 100 });
  await c.addPod('first', { cpu: '100m' });
  t.equal(await waitFor('first bound', () => nodeOf(c, 'first')), 'roomy', 'built-in kernel: the emptiest node');
  await builtin.stop();
  const vendor = await start(t, c, { percentageOfNodesToScore: 100, scoreKernel: join(dir, 'vendor.wasm') });
  t.ok(vendor.cache.scorer instanceof WasmScorer);
  await c.addPod('second', { cpu: '100m' });
  t.equal(await waitFor('second bound', () => nodeOf(c, 'second')), 'tight', 'vendor kernel: the highest index');
  await t.rejects(
    createScheduler({ store: c.store, logger: c.logger, metrics: c.metrics, config: { scoreKernel: join(dir, 'nope.wasm') } }),
    /nope\.wasm is missing/,
  );
});

t.test('kite scheduler explain: per-node filter verdicts and per-plugin scores, in process and from the CLI', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.addNode('node-hdd', '8', '16Gi', { disk: 'hdd' });
  await c.addNode('node-small', '100m', '16Gi', { disk: 'ssd' });
  await c.addNode('node-a', '2', '4Gi', { disk: 'ssd' });
  await c.addNode('node-b', '8', '16Gi', { disk: 'ssd' });
  await c.addPod('web', { cpu: '500m', memory: '512Mi', nodeSelector: { disk: 'ssd' } });
  const s = await createScheduler({ store: c.store, logger: c.logger, metrics: c.metrics, config: noLeader });
  t.teardown(() => s.stop());
  await s.sync();
  const r = explainPod(s, 'default', 'web');
  const byNode = new Map(r.nodes.map((n) => [n.node, n]));
  t.match(byNode.get('node-hdd'), { feasible: false, rejectedBy: 'NodeAffinity', code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match Pod's node affinity/selector"] });
  t.match(byNode.get('node-small'), { feasible: false, rejectedBy: 'NodeResourcesFit', code: 'Unschedulable', reasons: ['Insufficient cpu'] });
  const b = byNode.get('node-b')!;
  t.equal(b.feasible, true);
  const plugins = b.scores!.map((x) => x.plugin);
  for (const p of ['NodeResourcesFit', 'NodeResourcesBalancedAllocation', 'TaintToleration', 'ImageLocality']) t.ok(plugins.includes(p), `${p} scored`);
  t.notOk(plugins.includes('NodeAffinity'), 'NodeAffinity skips scoring (PreScore Skip) without preferred terms');
  for (const x of b.scores!) t.equal(x.weighted, x.normalized * x.weight, `${x.plugin} weighted = normalized × weight`);
  t.equal(b.total, b.scores!.reduce((a, x) => a + x.weighted, 0), 'total = sum of weighted');
  t.equal(b.scores!.find((x) => x.plugin === 'TaintToleration')!.weight, 3);
  t.ok(b.total! > byNode.get('node-a')!.total!, 'the roomier node scores higher');
  t.equal(r.selected, 'node-b');
  t.match(formatExplain(r), /Selected node: node-b/);
  t.throws(() => explainPod(s, 'default', 'nope'), /pods "nope" not found/);

  const dataDir = mkdtempSync(join(tmpdir(), 'kite-s1a-explain-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const kite = join(here, '..', '..', 'kernel', 'cli', 'kite.js');
  const run = (...args: string[]) => execFileSync(process.execPath, [kite, 'scheduler', 'explain', ...args, '--nats', c.natsUrl, '--data-dir', dataDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  const json = JSON.parse(run('web', '-n', 'default', '-o', 'json')) as ExplainResult;
  t.equal(json.selected, 'node-b', 'the CLI picks the same node');
  t.same(json.nodes.map((n) => [n.node, n.feasible]).sort(), [['node-a', true], ['node-b', true], ['node-hdd', false], ['node-small', false]]);
  const text = run('web');
  t.match(text, /Filtered out:\n.*NODE\s+PLUGIN\s+CODE\s+REASON/);
  t.match(text, /node-small\s+NodeResourcesFit\s+Unschedulable\s+Insufficient cpu/);
  t.match(text, /node-b\s+TaintToleration\s+\d+\s+100\s+3\s+300/);
  t.match(text, /Selected node: node-b/);
  t.throws(() => run('ghost'), /pods "ghost" not found/);
});

t.test('preemption through the store: the lower-priority pod is evicted and the preemptor lands', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.addNode('node-1', '1', '4Gi');
  const s = await start(t, c);
  await c.addPod('low', { cpu: '800m', priority: 0 });
  t.equal(await waitFor('low bound', () => nodeOf(c, 'low')), 'node-1');
  await c.addPod('high', { cpu: '800m', priority: 1000 });
  t.equal(await waitFor('high bound after preemption', () => nodeOf(c, 'high'), 60_000), 'node-1');
  await t.rejects(c.getPod('low'), /pods "low" not found/, 'the victim was deleted');
  await s.waitForIdle();
  t.ok(s.stats.unschedulable >= 1, 'the first attempt failed and nominated');
});

t.test('scheduling gates: a gated pod waits in the "gated" queue until its gates are removed', async (t) => {
  const c = await startSchedulerCluster(t);
  await c.addNode('node-1', '2', '4Gi');
  const s = await start(t, c);
  await c.store.create<Pod>(PODS, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gated', namespace: 'default' },
    spec: { schedulingGates: [{ name: 'example.com/quota' }], containers: [{ name: 'c', image: 'nginx' }] },
  });
  await waitFor('gated', () => s.queue.counts.gated === 1);
  t.match(await c.metrics.metrics(), /scheduler_pending_pods\{queue="gated"\} 1/);
  await c.addNode('node-2', '2', '4Gi');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(s.stats.unschedulable + s.stats.scheduled, 0, 'never attempted, not even after a node event');
  t.equal(await nodeOf(c, 'gated'), undefined);
  await t.rejects(c.store.guaranteedUpdate<Pod>(PODS, 'default', 'gated', (p) => ({ ...p, spec: { ...p.spec, schedulingGates: [{ name: 'example.com/quota' }, { name: 'example.com/more' }] } })), /only deletion is allowed, but found new scheduling gate 'example.com\/more'/, 'gates cannot be added');
  await c.store.guaranteedUpdate<Pod>(PODS, 'default', 'gated', (p) => ({ ...p, spec: { ...p.spec, schedulingGates: [] } }));
  await waitFor('scheduled after the gates were lifted', () => nodeOf(c, 'gated'));
  t.equal(s.queue.counts.gated, 0, 'no longer gated');
});
