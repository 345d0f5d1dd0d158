// The scheduling queue alone: QueueSort ordering, exponential backoff, the unschedulable set and
// requeueing only on events the rejecting plugins registered (with hints), gating, nominations.
import t from 'tap';
import { Registry } from 'prom-client';
import type { ClusterEventWithHint, Pod, QueuedPodInfo, Status } from './framework/interfaces.js';
import { schedulerMetrics } from './metrics.js';
import { SchedulingQueue } from './queue.js';

function pod(name: string, priority = 0, extra: Partial<Pod['spec']> = {}, labels?: Record<string, string>): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: 1, ...(labels ? { labels } : {}) }, spec: { containers: [{ name: 'c', image: 'x' }], priority, ...extra } };
}

const byPriority = (a: QueuedPodInfo, b: QueuedPodInfo) => {
  const pa = (a.podInfo.pod.spec.priority as number) ?? 0;
  const pb = (b.podInfo.pod.spec.priority as number) ?? 0;
  return pa > pb || (pa === pb && a.timestamp < b.timestamp);
};

function newQueue(opts: { events?: Record<string, ClusterEventWithHint[]>; gate?: (p: Pod) => Status; now?: () => number } = {}) {
  const registry = new Registry();
  const q = new SchedulingQueue({
    less: byPriority,
    preEnqueue: opts.gate ?? (() => ({ code: 'Success', reasons: [] })),
    eventsOf: (plugin) => opts.events?.[plugin],
    initialBackoffMs: 1000,
    maxBackoffMs: 10_000,
    pendingPods: schedulerMetrics(registry).pendingPods,
    now: opts.now,
  });
  return { q, registry };
}

t.test('activeQ pops by QueueSort: priority, then arrival', async (t) => {
  let now = 1000;
  const { q } = newQueue({ now: () => now });
  q.add(pod('low', 1));
  now++;
  q.add(pod('high', 10));
  now++;
  q.add(pod('low-later', 1));
  q.add(pod('high', 10)); // duplicate add is ignored
  const order = [];
  for (let p = q.tryPop(); p; p = q.tryPop()) order.push(p.podInfo.pod.metadata.name);
  t.same(order, ['high', 'low', 'low-later']);
  t.equal(q.schedulingCycle, 3);
  const waiting = q.pop();
  q.add(pod('late'));
  t.equal((await waiting)?.podInfo.pod.metadata.name, 'late', 'pop waits for the next pod');
  q.close();
  t.equal(await q.pop(), undefined, 'closed queue pops nothing');
});

t.test('backoff doubles per attempt up to the max; errors go to backoffQ', async (t) => {
  let now = 0;
  const { q, registry } = newQueue({ now: () => now });
  t.same([1, 2, 3, 4, 5, 6].map((a) => q.backoffDuration(a)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
  q.add(pod('p'));
  let p = q.tryPop()!;
  t.equal(p.attempts, 1);
  q.addUnschedulableIfNotPresent(p, q.schedulingCycle); // no rejecting plugin = an error: backoff
  t.same(q.counts, { active: 0, backoff: 1, unschedulable: 0, gated: 0, inFlight: 0 });
  t.match(await registry.metrics(), /scheduler_pending_pods\{queue="backoff"\} 1/);
  now = 999;
  q.flushBackoffCompleted();
  t.equal(q.counts.backoff, 1, 'still backing off at 999 ms');
  now = 1000;
  q.flushBackoffCompleted();
  p = q.tryPop()!;
  t.equal(p.attempts, 2, 'back in activeQ after 1 s');
  q.addUnschedulableIfNotPresent(p, q.schedulingCycle);
  now = 2999;
  q.flushBackoffCompleted();
  t.equal(q.counts.backoff, 1, 'second backoff is 2 s');
  now = 3000;
  q.flushBackoffCompleted();
  t.equal(q.counts.active, 1);
  q.close();
});

t.test('unschedulable pods move only on events their rejecting plugins registered', async (t) => {
  let now = 0;
  const events: Record<string, ClusterEventWithHint[]> = {
    NodeResourcesFit: [{ event: { resource: 'Node', action: 'Add' } }, { event: { resource: 'AssignedPod', action: 'Delete' } }],
    NodeAffinity: [{ event: { resource: 'Node', action: 'UpdateNodeLabel' }, hint: (_p, _o, n) => (n?.metadata.labels?.zone === 'a' ? 'Queue' : 'QueueSkip') }],
  };
  const { q } = newQueue({ events, now: () => now });
  q.add(pod('fit'));
  q.add(pod('affinity'));
  const a = q.tryPop()!;
  const b = q.tryPop()!;
  const fit = a.podInfo.pod.metadata.name === 'fit' ? a : b;
  const aff = fit === a ? b : a;
  fit.unschedulablePlugins.add('NodeResourcesFit');
  aff.unschedulablePlugins.add('NodeAffinity');
  const cycle = q.schedulingCycle;
  q.addUnschedulableIfNotPresent(fit, cycle);
  q.addUnschedulableIfNotPresent(aff, cycle);
  t.equal(q.counts.unschedulable, 2);
  t.equal(q.moveAllToActiveOrBackoffQueue({ resource: 'Namespace', actions: ['Add'] }), 0, 'unrelated event');
  t.equal(q.moveAllToActiveOrBackoffQueue({ resource: 'Node', actions: ['Update', 'UpdateNodeTaint'] }), 0, 'an update nobody registered');
  const node = (zone: string) => ({ metadata: { name: 'n', labels: { zone } } });
  t.equal(q.moveAllToActiveOrBackoffQueue({ resource: 'Node', actions: ['Update', 'UpdateNodeLabel'] }, node('x'), node('b')), 0, 'the hint said QueueSkip');
  now = 5000;
  t.equal(q.moveAllToActiveOrBackoffQueue({ resource: 'Node', actions: ['Update', 'UpdateNodeLabel'] }, node('x'), node('a')), 1, 'the hint said Queue');
  t.equal(q.tryPop()?.podInfo.pod.metadata.name, 'affinity', 'backoff over: straight to activeQ');
  t.equal(q.moveAllToActiveOrBackoffQueue({ resource: 'Node', actions: ['Add'] }), 1, 'Node Add moves the Fit-rejected pod');
  t.equal(q.tryPop()?.podInfo.pod.metadata.name, 'fit');
  q.close();
});

t.test('an event during the attempt sends the pod to backoff, not to the unschedulable set', async (t) => {
  const { q } = newQueue({ events: { NodeResourcesFit: [{ event: { resource: 'Node', action: 'Add' } }] } });
  q.add(pod('p'));
  const p = q.tryPop()!;
  const cycle = q.schedulingCycle;
  q.moveAllToActiveOrBackoffQueue({ resource: 'Node', actions: ['Add'] });
  p.unschedulablePlugins.add('NodeResourcesFit');
  q.addUnschedulableIfNotPresent(p, cycle);
  t.same(q.counts, { active: 0, backoff: 1, unschedulable: 0, gated: 0, inFlight: 0 });
  q.close();
});

t.test('leftover unschedulable pods are retried after 5 minutes', async (t) => {
  let now = 0;
  const { q } = newQueue({ events: { X: [] }, now: () => now });
  q.add(pod('p'));
  const p = q.tryPop()!;
  p.unschedulablePlugins.add('X');
  q.addUnschedulableIfNotPresent(p, q.schedulingCycle);
  now = 299_000;
  q.flushUnschedulableLeftover();
  t.equal(q.counts.unschedulable, 1);
  now = 300_001;
  q.flushUnschedulableLeftover();
  t.equal(q.counts.active, 1);
  q.close();
});

t.test('PreEnqueue gates pods; an update that lifts the gate queues them', async (t) => {
  const gate = (p: Pod): Status => ((p.spec.schedulingGates as unknown[] | undefined)?.length ? { code: 'UnschedulableAndUnresolvable', reasons: ['waiting for scheduling gates'], plugin: 'SchedulingGates' } : { code: 'Success', reasons: [] });
  const { q, registry } = newQueue({ gate });
  const gated = pod('gated', 0, { schedulingGates: [{ name: 'example.com/wait' }] });
  q.add(gated);
  t.same(q.counts, { active: 0, backoff: 0, unschedulable: 0, gated: 1, inFlight: 0 });
  t.match(await registry.metrics(), /scheduler_pending_pods\{queue="gated"\} 1/);
  t.equal(q.moveAllToActiveOrBackoffQueue({ resource: 'Node', actions: ['Add'] }), 0, 'cluster events do not move gated pods');
  const lifted = pod('gated');
  lifted.metadata.generation = 2;
  q.update(gated, lifted);
  t.same(q.counts, { active: 1, backoff: 0, unschedulable: 0, gated: 0, inFlight: 0 });
  q.close();
});

t.test('updates and deletes of queued pods; nominations', async (t) => {
  let now = 0;
  const { q } = newQueue({ events: { X: [] }, now: () => now });
  const p1 = pod('p1', 0, {}, { app: 'a' });
  q.add(p1);
  const popped = q.tryPop()!;
  popped.unschedulablePlugins.add('X');
  q.addUnschedulableIfNotPresent(popped, q.schedulingCycle);
  // A status-only update leaves it waiting; a label change may make it schedulable.
  q.update(p1, { ...p1, status: { phase: 'Pending' } });
  t.equal(q.counts.unschedulable, 1);
  now = 10_000;
  q.update(p1, { ...p1, metadata: { ...p1.metadata, labels: { app: 'b' } } });
  t.equal(q.counts.active, 1);
  q.delete(p1);
  t.same(q.counts, { active: 0, backoff: 0, unschedulable: 0, gated: 0, inFlight: 0 });
  const nominated = { ...pod('n', 5), status: { nominatedNodeName: 'node-1' } };
  q.add(nominated);
  t.same(q.nominatedPodsForNode('node-1').map((i) => i.pod.metadata.name), ['n']);
  q.delete(nominated);
  t.same(q.nominatedPodsForNode('node-1'), []);
  // A pod deleted while being scheduled is not requeued.
  q.add(pod('gone'));
  const g = q.tryPop()!;
  q.delete(g.podInfo.pod);
  q.addUnschedulableIfNotPresent(g, q.schedulingCycle);
  t.equal(q.has(g.podInfo.pod), false);
  q.close();
});
