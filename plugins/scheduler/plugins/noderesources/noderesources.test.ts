// Table-driven tests for NodeResourcesFit (filter, args, kernel config, queueing hints) and
// NodeResourcesBalancedAllocation (args, kernel config), after upstream's fit_test.go cases.
import t from 'tap';
import { ReferenceScorer } from '../../../../wasm/score/reference.js';
import { CycleState, type Node, type Pod } from '../../framework/interfaces.js';
import { MutableNodeInfo, makeNode } from '../../framework/nodeinfo.js';
import { newPodInfo } from '../../framework/podinfo.js';
import { balancedAllocationFactory, nodeResourcesFitFactory, type NodeResourcesFitArgs } from './index.js';
import { NodeResourcesFit, fitsRequest } from './fit.js';

type Rl = Record<string, string | number>;

function podWith(opts: { containers?: Rl[]; init?: Rl[]; sidecars?: Rl[]; overhead?: Rl; nodeName?: string } = {}): Pod {
  const c = (r: Rl, i: number, extra: Record<string, unknown> = {}) => ({ name: `c${i}`, image: 'busybox', resources: { requests: r }, ...extra });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: `uid-${Math.random()}` },
    spec: {
      containers: (opts.containers ?? [{}]).map((r, i) => c(r, i)),
      initContainers: [...(opts.sidecars ?? []).map((r, i) => c(r, i, { restartPolicy: 'Always' })), ...(opts.init ?? []).map((r, i) => c(r, i + 100))],
      ...(opts.overhead ? { overhead: opts.overhead } : {}),
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
    },
  } as Pod;
}

/** Upstream makeResources(10, 20, 32, 5, 20, 5): milliCPU 10, memory 20, pods 32, extended 5, hugepages 20, ephemeral 5. */
const ALLOC: Rl = { cpu: '10m', memory: 20, pods: 32, 'example.com/aaa': 5, 'hugepages-2Mi': 20, 'ephemeral-storage': 5 };

function nodeUsing(used: Rl, alloc: Rl = ALLOC, podCount = 1): MutableNodeInfo {
  const ni = new MutableNodeInfo(makeNode('n1', alloc));
  for (let i = 0; i < podCount; i++) ni.addPod(podWith({ containers: [i === 0 ? used : {}], nodeName: 'n1' }));
  return ni;
}

function runFit(plugin: NodeResourcesFit, pod: Pod, node: MutableNodeInfo) {
  const state = new CycleState();
  const info = newPodInfo(pod);
  const pre = plugin.preFilter(state, info);
  if (pre.status.code !== 'Success') return pre.status;
  return plugin.filter(state, info, node);
}

const fit = (args: unknown = undefined) => nodeResourcesFitFactory.create(nodeResourcesFitFactory.validate(args), undefined as never) as NodeResourcesFit;

t.test('NodeResourcesFit filter (upstream TestEnoughRequests)', async (t) => {
  const cases: { name: string; pod: Pod; used: Rl; alloc?: Rl; pods?: number; args?: unknown; code: string; reasons?: string[] }[] = [
    { name: 'no resources requested always fits', pod: podWith(), used: { cpu: '10m', memory: 20 }, code: 'Success' },
    { name: 'too many resources fails', pod: podWith({ containers: [{ cpu: '1m', memory: 1 }] }), used: { cpu: '10m', memory: 20 }, code: 'Unschedulable', reasons: ['Insufficient cpu', 'Insufficient memory'] },
    { name: 'too many resources fails due to init container cpu', pod: podWith({ containers: [{ cpu: '1m', memory: 1 }], init: [{ cpu: '3m', memory: 1 }] }), used: { cpu: '8m', memory: 19 }, code: 'Unschedulable', reasons: ['Insufficient cpu'] },
    { name: 'too many resources fails due to highest init container cpu', pod: podWith({ containers: [{ cpu: '1m', memory: 1 }], init: [{ cpu: '3m', memory: 1 }, { cpu: '2m', memory: 1 }] }), used: { cpu: '8m', memory: 19 }, code: 'Unschedulable', reasons: ['Insufficient cpu'] },
    { name: 'too many resources fails due to init container memory', pod: podWith({ containers: [{ cpu: '1m', memory: 1 }], init: [{ cpu: '1m', memory: 3 }] }), used: { cpu: '9m', memory: 19 }, code: 'Unschedulable', reasons: ['Insufficient memory'] },
    { name: 'init container fits: max, not sum, of containers and init containers', pod: podWith({ containers: [{ cpu: '1m', memory: 1 }], init: [{ cpu: '1m', memory: 1 }] }), used: { cpu: '9m', memory: 19 }, code: 'Success' },
    { name: 'multiple init containers fit: max, not sum', pod: podWith({ containers: [{ cpu: '1m', memory: 1 }], init: [{ cpu: '1m', memory: 1 }, { cpu: '1m', memory: 1 }] }), used: { cpu: '9m', memory: 19 }, code: 'Success' },
    { name: 'both resources fit', pod: podWith({ containers: [{ cpu: '1m', memory: 1 }] }), used: { cpu: '5m', memory: 5 }, code: 'Success' },
    { name: 'one resource memory fits', pod: podWith({ containers: [{ cpu: '2m', memory: 1 }] }), used: { cpu: '9m', memory: 5 }, code: 'Unschedulable', reasons: ['Insufficient cpu'] },
    { name: 'one resource cpu fits', pod: podWith({ containers: [{ cpu: '1m', memory: 2 }] }), used: { cpu: '5m', memory: 19 }, code: 'Unschedulable', reasons: ['Insufficient memory'] },
    { name: 'equal edge case', pod: podWith({ containers: [{ cpu: '5m', memory: 1 }] }), used: { cpu: '5m', memory: 19 }, code: 'Success' },
    { name: 'equal edge case for init container', pod: podWith({ containers: [{ cpu: '4m', memory: 1 }], init: [{ cpu: '5m', memory: 1 }] }), used: { cpu: '5m', memory: 19 }, code: 'Success' },
    { name: 'sidecar requests add to the containers', pod: podWith({ containers: [{ cpu: '3m', memory: 1 }], sidecars: [{ cpu: '3m', memory: 1 }] }), used: { cpu: '5m', memory: 0 }, code: 'Unschedulable', reasons: ['Insufficient cpu'] },
    { name: 'init container after a sidecar counts the sidecar too', pod: podWith({ containers: [{ cpu: '1m' }], sidecars: [{ cpu: '2m' }], init: [{ cpu: '4m' }] }), used: { cpu: '5m' }, code: 'Unschedulable', reasons: ['Insufficient cpu'] },
    { name: 'sidecar and init container within allocatable', pod: podWith({ containers: [{ cpu: '1m' }], sidecars: [{ cpu: '1m' }], init: [{ cpu: '3m' }] }), used: { cpu: '6m' }, code: 'Success' },
    { name: 'extended resource fits', pod: podWith({ containers: [{ 'example.com/aaa': 1 }] }), used: {}, code: 'Success' },
    { name: 'extended resource fits for init container', pod: podWith({ init: [{ 'example.com/aaa': 1 }] }), used: {}, code: 'Success' },
    { name: 'extended resource capacity enforced', pod: podWith({ containers: [{ 'example.com/aaa': 10 }] }), used: {}, code: 'Unschedulable', reasons: ['Insufficient example.com/aaa'] },
    { name: 'extended resource capacity enforced for init container', pod: podWith({ init: [{ 'example.com/aaa': 10 }] }), used: {}, code: 'Unschedulable', reasons: ['Insufficient example.com/aaa'] },
    { name: 'extended resource allocatable enforced with existing usage', pod: podWith({ containers: [{ 'example.com/aaa': 1 }] }), used: { 'example.com/aaa': 5 }, code: 'Unschedulable', reasons: ['Insufficient example.com/aaa'] },
    { name: 'extended resource missing on the node', pod: podWith({ containers: [{ 'example.com/bbb': 1 }] }), used: {}, code: 'Unschedulable', reasons: ['Insufficient example.com/bbb'] },
    { name: 'zero extended request is not checked', pod: podWith({ containers: [{ 'example.com/bbb': 0 }] }), used: {}, code: 'Success' },
    { name: 'hugepages enforced', pod: podWith({ containers: [{ 'hugepages-2Mi': 10 }] }), used: { 'hugepages-2Mi': 15 }, code: 'Unschedulable', reasons: ['Insufficient hugepages-2Mi'] },
    { name: 'ignoredResources skips an extended resource', pod: podWith({ containers: [{ cpu: '1m', memory: 1, 'example.com/bbb': 1 }] }), used: {}, args: { ignoredResources: ['example.com/bbb'] }, code: 'Success' },
    { name: 'ignoredResourceGroups skips a group of extended resources', pod: podWith({ containers: [{ cpu: '1m', memory: 1, 'example.com/bbb': 1 }] }), used: {}, args: { ignoredResourceGroups: ['example.com'] }, code: 'Success' },
    { name: 'ignoredResources never skips a native resource', pod: podWith({ containers: [{ 'hugepages-2Mi': 30 }] }), used: {}, args: { ignoredResources: ['hugepages-2Mi'] }, code: 'Unschedulable', reasons: ['Insufficient hugepages-2Mi'] },
    { name: 'kubernetes.io/ prefixed resources are native, not ignorable', pod: podWith({ containers: [{ 'kubernetes.io/batch': 2 }] }), used: {}, args: { ignoredResourceGroups: ['kubernetes.io'] }, code: 'Unschedulable', reasons: ['Insufficient kubernetes.io/batch'] },
    { name: 'requests + overhead does not fit for memory', pod: podWith({ containers: [{ cpu: '1m', memory: 1 }], overhead: { cpu: '3m', memory: 15 } }), used: { cpu: '5m', memory: 5 }, code: 'Unschedulable', reasons: ['Insufficient memory'] },
    { name: 'requests + overhead fits', pod: podWith({ containers: [{ cpu: '1m', memory: 1 }], overhead: { cpu: '3m', memory: 3 } }), used: { cpu: '5m', memory: 5 }, code: 'Success' },
    { name: 'ephemeral-storage enforced', pod: podWith({ containers: [{ 'ephemeral-storage': 10 }] }), used: {}, code: 'Unschedulable', reasons: ['Insufficient ephemeral-storage'] },
    { name: 'ephemeral-storage fits', pod: podWith({ containers: [{ 'ephemeral-storage': 5 }] }), used: {}, code: 'Success' },
    { name: 'too many pods, even with zero requests', pod: podWith(), used: {}, alloc: { ...ALLOC, pods: 1 }, code: 'Unschedulable', reasons: ['Too many pods'] },
    { name: 'too many pods and insufficient cpu, pods first', pod: podWith({ containers: [{ cpu: '1m' }] }), used: { cpu: '10m' }, alloc: { ...ALLOC, pods: 2 }, pods: 2, code: 'Unschedulable', reasons: ['Too many pods', 'Insufficient cpu'] },
    { name: 'a limit without a request counts as the request', pod: { ...podWith(), spec: { containers: [{ name: 'c', resources: { limits: { cpu: '11m' } } }] } } as Pod, used: {}, code: 'Unschedulable', reasons: ['Insufficient cpu'] },
    { name: 'node with no allocatable at all fits a pod with no requests', pod: podWith(), used: {}, alloc: { pods: 10 }, code: 'Success' },
  ];
  for (const c of cases) {
    const s = runFit(fit(c.args), c.pod, nodeUsing(c.used, c.alloc ?? ALLOC, c.pods ?? 1));
    t.equal(s.code, c.code, `${c.name}: code`);
    t.same(s.reasons, c.reasons ?? [], `${c.name}: reasons`);
  }
});

t.test('filter() without extended resources (shared Statuses) says what fitsRequest says', async (t) => {
  const plugin = fit();
  const values = [0, 1, 2, 3, 5];
  let compared = 0;
  let rejected = 0;
  for (const cpu of values) for (const memory of values) for (const storage of values) for (const used of [0, 2, 4]) for (const pods of [1, 2, 3]) {
    const requests: Rl = {};
    if (cpu) requests.cpu = `${cpu}m`;
    if (memory) requests.memory = memory;
    if (storage) requests['ephemeral-storage'] = storage;
    const alloc: Rl = { cpu: '4m', memory: 4, pods, 'ephemeral-storage': 4 };
    const node = nodeUsing({ cpu: `${used}m`, memory: used, 'ephemeral-storage': used }, alloc, 2);
    const pod = podWith({ containers: [requests] });
    const want = fitsRequest(newPodInfo(pod).requests, node).map((r) => r.reason);
    const s = runFit(plugin, pod, node);
    compared++;
    if (want.length) rejected++;
    if (want.length === 0 ? s.code !== 'Success' : s.code !== 'Unschedulable' || s.plugin !== 'NodeResourcesFit' || s.reasons.join('|') !== want.join('|')) {
      t.fail(`cpu ${cpu} memory ${memory} storage ${storage} used ${used} pods ${pods}: ${JSON.stringify(s)} vs ${JSON.stringify(want)}`);
      return;
    }
  }
  t.ok(rejected > 100 && rejected < compared, `${compared} cases, ${rejected} rejected, all with fitsRequest's reasons`);
});

t.test('fitsRequest details for callers (preemption, explain)', async (t) => {
  const ni = nodeUsing({ cpu: '8m', memory: 10, 'example.com/aaa': 4 });
  const request = newPodInfo(podWith({ containers: [{ cpu: '3m', memory: 5, 'example.com/aaa': 2 }] })).requests;
  t.same(fitsRequest(request, ni), [
    { resourceName: 'cpu', reason: 'Insufficient cpu', requested: 3, used: 8, capacity: 10 },
    { resourceName: 'example.com/aaa', reason: 'Insufficient example.com/aaa', requested: 2, used: 4, capacity: 5 },
  ]);
  t.same(fitsRequest(newPodInfo(podWith()).requests, ni), [], 'nothing requested: fits');
});

t.test('NodeResourcesFit filter without PreFilter is an Error (upstream)', async (t) => {
  const s = fit().filter(new CycleState(), newPodInfo(podWith()), nodeUsing({}));
  t.equal(s.code, 'Error');
  t.match(s.reasons[0], /PreFilterNodeResourcesFit/);
});

t.test('NodeResourcesFitArgs defaults and validation', async (t) => {
  const d = nodeResourcesFitFactory.validate(undefined);
  t.same(d, { ignoredResources: [], ignoredResourceGroups: [], scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] } }, 'defaults');
  t.same(nodeResourcesFitFactory.validate({ scoringStrategy: { type: 'MostAllocated', resources: [{ name: 'cpu' }, { name: 'memory', weight: 0 }] } }).scoringStrategy.resources, [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }], 'weight 0 defaults to 1');
  t.same(nodeResourcesFitFactory.validate({ scoringStrategy: { type: 'MostAllocated' } }).scoringStrategy.resources.map((r) => r.name), ['cpu', 'memory'], 'empty resources default to cpu and memory');
  t.ok(nodeResourcesFitFactory.validate({ apiVersion: 'kubescheduler.config.k8s.io/v1', kind: 'NodeResourcesFitArgs' }), 'apiVersion and kind allowed');
  const errors: [string, unknown, RegExp][] = [
    ['unsupported strategy type', { scoringStrategy: { type: 'Random' } }, /^NodeResourcesFitArgs\.scoringStrategy\.type: Unsupported value: "Random": supported values: "LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"$/],
    ['missing strategy type', { scoringStrategy: { resources: [] } }, /scoringStrategy\.type: Unsupported value: ""/],
    ['resource weight out of range', { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 101 }, { name: 'memory', weight: 1 }] } }, /scoringStrategy\.resources\[0\]\.weight: Invalid value: 101: resource weight of cpu not in valid range \(0, 100\]/],
    ['negative resource weight', { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: -1 }] } }, /resources\[1\]\.weight: Invalid value: -1: resource weight of memory not in valid range/],
    ['invalid ignored resource name', { ignoredResources: ['-bad'] }, /^NodeResourcesFitArgs\.ignoredResources\[0\]: Invalid value: "-bad": name part must consist of/],
    ['ignored resource group with a slash', { ignoredResourceGroups: ['example.com/aaa'] }, /ignoredResourceGroups\[0\]: Invalid value: "example.com\/aaa": resource group name can't contain '\/'/],
    ['shape unsorted', { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 50, score: 1 }, { utilization: 10, score: 2 }] } } }, /requestedToCapacityRatio\.shape\[1\]\.utilization: Invalid value: 10: utilization values must be sorted in increasing order/],
    ['shape utilization out of range', { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 110, score: 1 }] } } }, /shape\[0\]\.utilization: Invalid value: 110: not in valid range \[0, 100\]/],
    ['shape score out of range', { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 10, score: 11 }] } } }, /shape\[0\]\.score: Invalid value: 11: not in valid range \[0, 10\]/],
    ['empty shape', { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [] } } }, /requestedToCapacityRatio\.shape: Required value: at least one point must be specified/],
    ['RequestedToCapacityRatio without a shape', { scoringStrategy: { type: 'RequestedToCapacityRatio' } }, /requestedToCapacityRatio\.shape: Required value/],
    ['resource the kernel cannot score', { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }, { name: 'nvidia.com/gpu', weight: 2 }] } }, /resources\[2\]\.name: Unsupported value: "nvidia.com\/gpu": supported values: "cpu", "memory" \(the scoring kernel/],
    ['only cpu listed', { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 1 }] } }, /scoringStrategy\.resources: Invalid value: \["cpu"\]: must list both cpu and memory \(missing memory\)/],
    ['unknown field', { ignoredResource: ['x'] }, /^NodeResourcesFitArgs\.ignoredResource: unknown field "ignoredResource"$/],
    ['wrong kind', { kind: 'NodeAffinityArgs' }, /NodeResourcesFitArgs\.kind: Invalid value: "NodeAffinityArgs"/],
    ['not an object', 'LeastAllocated', /NodeResourcesFitArgs: Invalid value: "LeastAllocated": must be a NodeResourcesFitArgs object/],
    ['several errors aggregate', { ignoredResources: ['-a'], scoringStrategy: { type: 'X' } }, /^\[NodeResourcesFitArgs\.ignoredResources\[0\].*, NodeResourcesFitArgs\.scoringStrategy\.type: Unsupported value: "X".*\]$/],
  ];
  for (const [name, args, re] of errors) t.throws(() => nodeResourcesFitFactory.validate(args), re, name);
});

t.test('NodeResourcesBalancedAllocationArgs', async (t) => {
  t.same(balancedAllocationFactory.validate(undefined), { resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] });
  t.same(balancedAllocationFactory.validate({ resources: [{ name: 'memory' }, { name: 'cpu' }] }).resources, [{ name: 'memory', weight: 1 }, { name: 'cpu', weight: 1 }]);
  t.throws(() => balancedAllocationFactory.validate({ resources: [{ name: 'cpu', weight: 2 }, { name: 'memory' }] }), /^NodeResourcesBalancedAllocationArgs\.resources\[0\]\.weight: Invalid value: 2: must be 1$/);
  t.throws(() => balancedAllocationFactory.validate({ resources: [{ name: 'cpu' }, { name: 'cpu' }, { name: 'memory' }] }), /resources\[1\]\.name: Duplicate value: "cpu"/);
  t.throws(() => balancedAllocationFactory.validate({ resources: [{ name: 'cpu' }, { name: 'memory' }, { name: 'example.com/x' }] }), /resources\[2\]\.name: Unsupported value: "example.com\/x"/);
  const p = balancedAllocationFactory.create(balancedAllocationFactory.validate(undefined), undefined as never);
  t.same((p as unknown as { kernelScore: unknown }).kernelScore, { kind: 'balanced' });
});

t.test('kernel scoring config reproduces upstream scores', async (t) => {
  // Upstream TestMostAllocated "nothing scheduled, resources requested, differently sized nodes":
  // pod cpu 1000+2000, memory 2000+3000 on nodes 4000/10000 and 6000/10000 → 62, 50.
  // RequestedToCapacityRatio with shape 0→0, 100→10 gives utilization itself: round((75+50)/2)=63, 50.
  // LeastAllocated: (25+50)/2=37, (50+50)/2=50.
  const cases: [string, NodeResourcesFitArgs['scoringStrategy'] | undefined, number[]][] = [
    ['MostAllocated', { type: 'MostAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] }, [62, 50]],
    ['RequestedToCapacityRatio', { type: 'RequestedToCapacityRatio', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }], requestedToCapacityRatio: { shape: [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }] } }, [63, 50]],
    ['LeastAllocated (default)', undefined, [37, 50]],
    // cpu weight 3: LeastAllocated (25·3 + 50·1)/4 = 31, (50·3 + 50)/4 = 50.
    ['LeastAllocated, cpu weight 3', { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 3 }, { name: 'memory', weight: 1 }] }, [31, 50]],
  ];
  const pod = podWith({ containers: [{ cpu: '1000m', memory: 2000 }, { cpu: '2000m', memory: 3000 }] });
  const info = newPodInfo(pod);
  for (const [name, strategy, want] of cases) {
    const plugin = fit(strategy ? { scoringStrategy: strategy } : undefined);
    const k = plugin.kernelScore;
    if (k.kind !== 'fit') throw new Error('expected a fit kernel score');
    const scorer = new ReferenceScorer(16);
    const nodes: Node[] = [makeNode('a', { cpu: '4000m', memory: 10000, pods: 10 }), makeNode('b', { cpu: '6000m', memory: 10000, pods: 10 })];
    nodes.forEach((n, i) => {
      const ni = new MutableNodeInfo(n);
      scorer.setNode(i, {
        allocatableMilliCpu: ni.allocatable.milliCpu, allocatableMemory: ni.allocatable.memory, allocatablePods: ni.allocatable.pods,
        requestedMilliCpu: 0, requestedMemory: 0, nonZeroRequestedMilliCpu: 0, nonZeroRequestedMemory: 0, podCount: 0,
      });
    });
    const r = scorer.score({
      pod: { milliCpu: info.requests.milliCpu, memory: info.requests.memory, nonZeroMilliCpu: info.nonZeroRequests.milliCpu, nonZeroMemory: info.nonZeroRequests.memory },
      fit: { strategy: k.strategy, weight: 1, cpuWeight: k.cpuWeight, memoryWeight: k.memoryWeight, shape: k.shape },
      balancedWeight: 0,
      details: true,
    });
    t.same([...r.details![0]!.scores.slice(0, 2)], want, name);
  }
});

t.test('NodeResourcesFit queueing hints', async (t) => {
  const plugin = fit();
  const events = plugin.eventsToRegister();
  t.same(events.map((e) => `${e.event.resource}/${e.event.action}`), ['Pod/Delete', 'Node/Add', 'Node/UpdateNodeAllocatable']);
  const pod = podWith({ containers: [{ cpu: '2', memory: '1Gi' }] });
  const small = makeNode('n', { cpu: '1', memory: '4Gi', pods: 10 });
  const big = makeNode('n', { cpu: '4', memory: '4Gi', pods: 10 });
  const bigMoreMemory = makeNode('n', { cpu: '4', memory: '8Gi', pods: 10 });
  const onDelete = events[0]!.hint!;
  const onNode = events[1]!.hint!;
  const cases: [string, string, ReturnType<typeof onNode>][] = [
    ['deleted assigned pod', onDelete(pod, podWith({ nodeName: 'n' }), undefined), 'Queue'],
    ['deleted unassigned pod', onDelete(pod, podWith(), undefined), 'QueueSkip'],
    ['added node that fits', onNode(pod, undefined, big), 'Queue'],
    ['added node too small', onNode(pod, undefined, small), 'QueueSkip'],
    ['node grew cpu to fit', onNode(pod, small, big), 'Queue'],
    ['node grew only an unrelated amount (already fit)', onNode(podWith({ containers: [{ cpu: '1' }] }), big, bigMoreMemory), 'QueueSkip'],
    ['node grew memory the pod requests', onNode(pod, big, bigMoreMemory), 'Queue'],
  ];
  for (const [name, got, want] of cases) t.equal(got, want, name);
});
