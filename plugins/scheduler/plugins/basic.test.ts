// Table-driven tests for the small basic plugins: PrioritySort, SchedulingGates, NodeName,
// NodePorts, ImageLocality, DefaultBinder, and the basic registry (after upstream's tests).
import t from 'tap';
import { CycleState, type Node, type Pod, type QueuedPodInfo } from '../framework/interfaces.js';
import { MutableNodeInfo, makeNode } from '../framework/nodeinfo.js';
import { newPodInfo } from '../framework/podinfo.js';
import { Names } from '../framework/names.js';
import { DefaultBinder } from './defaultbinder/index.js';
import { ImageLocality } from './imagelocality/index.js';
import { ERR_REASON_NODE_NAME, NodeName } from './nodename/index.js';
import { ERR_REASON_NODE_PORTS, NodePorts } from './nodeports/index.js';
import { PrioritySort } from './prioritysort/index.js';
import { basicPluginFactories } from './registry-basic.js';
import { SchedulingGates } from './schedulinggates/index.js';
import { normalizeColumn } from './shared/kernel-testing.js';
import { imageNameCandidates, normalizeImageName } from './shared/images.js';
import { FakeHandle, FakeSnapshot } from './testing.js';

function pod(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1', ...meta }, spec: { containers: [{ name: 'c' }], ...spec } } as Pod;
}

t.test('PrioritySort', async (t) => {
  const q = (priority: number | undefined, timestamp: number): QueuedPodInfo =>
    ({ podInfo: newPodInfo(pod(priority === undefined ? {} : { priority })), timestamp, initialAttemptTimestamp: timestamp, attempts: 0, unschedulablePlugins: new Set(), pendingPlugins: new Set() }) as QueuedPodInfo;
  const ps = new PrioritySort();
  const cases: [string, QueuedPodInfo, QueuedPodInfo, boolean][] = [
    ['higher priority first', q(100, 2), q(10, 1), true],
    ['lower priority later', q(10, 1), q(100, 2), false],
    ['same priority: earlier first', q(10, 1), q(10, 2), true],
    ['same priority: later not first', q(10, 2), q(10, 1), false],
    ['same priority and time: not less', q(10, 1), q(10, 1), false],
    ['unset priority is 0', q(undefined, 1), q(-1, 0), true],
    ['negative below unset', q(-5, 0), q(undefined, 9), false],
  ];
  for (const [name, a, b, want] of cases) t.equal(ps.less(a, b), want, name);
});

t.test('SchedulingGates', async (t) => {
  const sg = new SchedulingGates();
  const cases: [string, Pod, string, string[]][] = [
    ['no gates', pod(), 'Success', []],
    ['empty gate list', pod({ schedulingGates: [] }), 'Success', []],
    ['one gate', pod({ schedulingGates: [{ name: 'foo' }] }), 'UnschedulableAndUnresolvable', ['waiting for scheduling gates: [foo]']],
    ['two gates', pod({ schedulingGates: [{ name: 'foo' }, { name: 'bar' }] }), 'UnschedulableAndUnresolvable', ['waiting for scheduling gates: [foo bar]']],
  ];
  for (const [name, p, code, reasons] of cases) t.same([sg.preEnqueue(p).code, sg.preEnqueue(p).reasons], [code, reasons], name);
  const [event] = sg.eventsToRegister();
  t.same(event!.event, { resource: 'Pod', action: 'Update' });
  const gated = pod({ schedulingGates: [{ name: 'foo' }] });
  t.equal(event!.hint!(gated, gated, pod()), 'Queue', 'gates removed');
  t.equal(event!.hint!(gated, gated, gated), 'QueueSkip', 'still gated');
  t.equal(event!.hint!(gated, pod(), pod({}, { uid: 'other' })), 'QueueSkip', 'another pod');
});

t.test('NodeName', async (t) => {
  const nn = new NodeName();
  const cases: [string, Pod, string, string, string[] | 'Skip'][] = [
    ['no node name: fits any node, PreFilter skips', pod(), 'foo', 'Success', 'Skip'],
    ['matches the node', pod({ nodeName: 'foo' }), 'foo', 'Success', ['foo']],
    ['another node', pod({ nodeName: 'bar' }), 'foo', 'UnschedulableAndUnresolvable', ['bar']],
  ];
  for (const [name, p, nodeName, code, pre] of cases) {
    const info = newPodInfo(p);
    const r = nn.preFilter(new CycleState(), info);
    if (pre === 'Skip') t.equal(r.status.code, 'Skip', `${name}: PreFilter`);
    else t.same([...(r.result?.nodeNames ?? [])], pre, `${name}: PreFilter narrows`);
    const s = nn.filter(new CycleState(), info, new MutableNodeInfo(makeNode(nodeName)));
    t.same([s.code, s.reasons], [code, code === 'Success' ? [] : [ERR_REASON_NODE_NAME]], `${name}: filter`);
  }
  const hint = nn.eventsToRegister()[0]!.hint!;
  t.equal(hint(pod({ nodeName: 'foo' }), undefined, makeNode('foo')), 'Queue');
  t.equal(hint(pod({ nodeName: 'foo' }), undefined, makeNode('bar')), 'QueueSkip');
});

/** A pod with host ports written `PROTO/IP/PORT` (upstream's newPod helper). */
function portsPod(...ports: string[]): Pod {
  return pod({
    containers: [{ name: 'c', ports: ports.map((s) => { const [protocol, hostIP, port] = s.split('/'); return { containerPort: Number(port), hostPort: Number(port), protocol, hostIP }; }) }],
  });
}

t.test('NodePorts (upstream TestNodePorts)', async (t) => {
  const cases: { name: string; pod: Pod; existing: Pod; fits: boolean; skip?: boolean }[] = [
    { name: 'nothing running', pod: portsPod(), existing: portsPod(), fits: true, skip: true },
    { name: 'other port', pod: portsPod('UDP/127.0.0.1/8080'), existing: portsPod('UDP/127.0.0.1/9090'), fits: true },
    { name: 'same udp port', pod: portsPod('UDP/127.0.0.1/8080'), existing: portsPod('UDP/127.0.0.1/8080'), fits: false },
    { name: 'same tcp port', pod: portsPod('TCP/127.0.0.1/8080'), existing: portsPod('TCP/127.0.0.1/8080'), fits: false },
    { name: 'different host ip', pod: portsPod('TCP/127.0.0.1/8080'), existing: portsPod('TCP/127.0.0.2/8080'), fits: true },
    { name: 'different protocol', pod: portsPod('UDP/127.0.0.1/8080'), existing: portsPod('TCP/127.0.0.1/8080'), fits: true },
    { name: 'second udp port conflict', pod: portsPod('UDP/127.0.0.1/8000', 'UDP/127.0.0.1/8080'), existing: portsPod('UDP/127.0.0.1/8080'), fits: false },
    { name: 'first tcp port conflict', pod: portsPod('TCP/127.0.0.1/8001', 'UDP/127.0.0.1/8080'), existing: portsPod('TCP/127.0.0.1/8001', 'UDP/127.0.0.1/8081'), fits: false },
    { name: 'conflict due to 0.0.0.0 wanted', pod: portsPod('TCP/0.0.0.0/8001'), existing: portsPod('TCP/127.0.0.1/8001'), fits: false },
    { name: 'TCP conflict due to a 0.0.0.0 among the wanted', pod: portsPod('TCP/10.0.10.10/8001', 'TCP/0.0.0.0/8001'), existing: portsPod('TCP/127.0.0.1/8001'), fits: false },
    { name: 'conflict with 0.0.0.0 in use', pod: portsPod('TCP/127.0.0.1/8001'), existing: portsPod('TCP/0.0.0.0/8001'), fits: false },
    { name: 'different protocol against 0.0.0.0', pod: portsPod('UDP/127.0.0.1/8001'), existing: portsPod('TCP/0.0.0.0/8001'), fits: true },
    { name: 'UDP conflict due to 0.0.0.0 in use', pod: portsPod('UDP/127.0.0.1/8001'), existing: portsPod('TCP/0.0.0.0/8001', 'UDP/0.0.0.0/8001'), fits: false },
    { name: 'empty hostIP means 0.0.0.0 and empty protocol TCP', pod: portsPod('/127.0.0.1/80'), existing: portsPod('TCP//80'), fits: false },
    { name: 'sidecar host ports count', pod: pod({ initContainers: [{ name: 's', restartPolicy: 'Always', ports: [{ hostPort: 53, protocol: 'UDP' }] }] }), existing: portsPod('UDP/0.0.0.0/53'), fits: false },
    { name: 'one-shot init container ports do not count', pod: pod({ initContainers: [{ name: 'i', ports: [{ hostPort: 53, protocol: 'UDP' }] }] }), existing: portsPod('UDP/0.0.0.0/53'), fits: true, skip: true },
  ];
  const np = new NodePorts();
  for (const c of cases) {
    const ni = new MutableNodeInfo(makeNode('n'));
    ni.addPod({ ...c.existing, metadata: { ...c.existing.metadata, uid: 'existing' }, spec: { ...c.existing.spec, nodeName: 'n' } } as Pod);
    const state = new CycleState();
    const info = newPodInfo(c.pod);
    const pre = np.preFilter(state, info);
    t.equal(pre.status.code, c.skip ? 'Skip' : 'Success', `${c.name}: PreFilter`);
    if (c.skip) continue;
    const s = np.filter(state, info, ni);
    t.same([s.code, s.reasons], c.fits ? ['Success', []] : ['Unschedulable', [ERR_REASON_NODE_PORTS]], c.name);
  }
  t.equal(np.filter(new CycleState(), newPodInfo(portsPod('TCP/0.0.0.0/80')), new MutableNodeInfo(makeNode('n'))).code, 'Error', 'Filter without PreFilter is an Error (upstream)');
  const events = np.eventsToRegister();
  t.same(events.map((e) => `${e.event.resource}/${e.event.action}`), ['Pod/Delete', 'Node/Add', 'Node/Update']);
  const onDelete = events[0]!.hint!;
  const wants = portsPod('TCP/0.0.0.0/80');
  t.equal(onDelete(wants, { ...portsPod('TCP/10.0.0.1/80'), spec: { ...portsPod('TCP/10.0.0.1/80').spec, nodeName: 'n' } } as Pod, undefined), 'Queue', 'deleted pod freed the port');
  t.equal(onDelete(wants, { ...portsPod('TCP/10.0.0.1/81'), spec: { ...portsPod('TCP/10.0.0.1/81').spec, nodeName: 'n' } } as Pod, undefined), 'QueueSkip', 'deleted pod held another port');
  t.equal(onDelete(wants, portsPod('TCP/10.0.0.1/80'), undefined), 'QueueSkip', 'deleted pod was not assigned');
});

t.test('image name normalization', async (t) => {
  const cases: [string, string][] = [
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:latest', 'docker.io/library/nginx:latest'],
    ['user/app', 'docker.io/user/app:latest'],
    ['gcr.io/40', 'gcr.io/40:latest'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['localhost/app:v1', 'localhost/app:v1'],
    ['nginx@sha256:abc', 'docker.io/library/nginx@sha256:abc'],
    ['registry:5000/a/b@sha256:abc', 'registry:5000/a/b@sha256:abc'],
  ];
  for (const [input, want] of cases) t.equal(normalizeImageName(input), want, input);
  t.same(imageNameCandidates('nginx'), ['docker.io/library/nginx:latest', 'library/nginx:latest', 'nginx:latest']);
  t.same(imageNameCandidates('gcr.io/40'), ['gcr.io/40:latest']);
});

t.test('ImageLocality (upstream TestImageLocalityPriority)', async (t) => {
  const mb = 1024 * 1024;
  // Image tables as the cache builds them (keyed by the node's reported names), numNodes filled in per case.
  const images = (entries: [string[], number][]) => entries;
  const node403002000 = images([[['gcr.io/40:latest', 'gcr.io/40:v1'], 40 * mb], [['gcr.io/300:latest', 'gcr.io/300:v1'], 300 * mb], [['gcr.io/2000:latest'], 2000 * mb]]);
  const node25010 = images([[['gcr.io/250:latest'], 250 * mb], [['gcr.io/10:latest', 'gcr.io/10:v1'], 10 * mb]]);
  const nodeNginx = images([[['docker.io/library/nginx:latest'], 500 * mb]]);
  const nodeNone = images([]);
  const containers = (...imgs: string[]) => ({ containers: imgs.map((image, i) => ({ name: `c${i}`, image })) });
  const cases: { name: string; spec: Record<string, unknown>; nodes: [string[], number][][]; raw: number[]; normalized: number[] }[] = [
    // 40 MB on 1 of 2 nodes → 20 MB, under the 23 MB floor → 0; 250 MB on 1 of 2 → 125 MB → 100·(125−23)/(2000−23) = 5.
    { name: 'two images spread on two nodes, prefer the larger image', spec: containers('gcr.io/40', 'gcr.io/250'), nodes: [node403002000, node25010], raw: [20 * mb, 125 * mb], normalized: [0, 5] },
    // 40/2 + 300/2 = 170 MB → 100·(170−23)/1977 = 7.
    { name: 'two images on one node, prefer this node', spec: containers('gcr.io/40', 'gcr.io/300'), nodes: [node403002000, node25010], raw: [170 * mb, 0], normalized: [7, 0] },
    // 2000 MB on 1 of 2 → 1000 MB + 10/2 on the other: one container, so the max is 1000 MB → 100 and 0.
    { name: 'above the per-container ceiling is clamped', spec: containers('gcr.io/2000'), nodes: [node403002000, node25010], raw: [1000 * mb, 0], normalized: [100, 0] },
    { name: 'no images on any node', spec: containers('gcr.io/40'), nodes: [nodeNone, nodeNone], raw: [0, 0], normalized: [0, 0] },
    // Two containers: ceiling 2000 MB; 100·(150−23)/1977 = 6, and 5 MB is under the floor.
    { name: 'init containers count too', spec: { initContainers: [{ name: 'i', image: 'gcr.io/300:v1' }], ...containers('gcr.io/10') }, nodes: [node403002000, node25010], raw: [150 * mb, 5 * mb], normalized: [6, 0] },
    // `nginx` is docker.io/library/nginx:latest; on 1 of 3 nodes → 500/3 MB → 100·(166.7−23)/977 = 14.
    { name: 'short image names match normalized node image names', spec: containers('nginx'), nodes: [nodeNginx, nodeNone, nodeNone], raw: [Math.trunc(500 * mb / 3), 0, 0], normalized: [14, 0, 0] },
    // Reported as both `docker.io/library/nginx:latest` and `nginx:latest`: 500 MB once → 100·(500−23)/977 = 48 (not 100).
    { name: 'one image under two spellings counts once', spec: containers('nginx'), nodes: [images([[['docker.io/library/nginx:latest', 'nginx:latest'], 500 * mb]])], raw: [500 * mb], normalized: [48] },
  ];
  for (const c of cases) {
    const holders = new Map<string, number>();
    for (const n of c.nodes) for (const [names] of n) for (const name of names) holders.set(name, (holders.get(name) ?? 0) + 1);
    const infos = c.nodes.map((n, i) => {
      const ni = new MutableNodeInfo(makeNode(`m${i}`), i);
      for (const [names, size] of n) for (const name of names) ni.imageStates.set(name, { size, numNodes: holders.get(name)! });
      return ni;
    });
    const plugin = new ImageLocality(new FakeHandle(new FakeSnapshot(infos)));
    const raw = new Float64Array(infos.length);
    t.equal(plugin.scoreColumn(new CycleState(), newPodInfo(pod(c.spec)), infos, raw).code, 'Success');
    t.same([...raw], c.raw, `${c.name}: raw`);
    const podContainers = ((c.spec.containers as unknown[]) ?? []).length + ((c.spec.initContainers as unknown[]) ?? []).length;
    t.same(normalizeColumn(plugin.normalization, [...raw], podContainers), c.normalized, `${c.name}: normalized`);
  }
});

t.test('DefaultBinder', async (t) => {
  const handle = new FakeHandle(new FakeSnapshot([]));
  const b = new DefaultBinder(handle);
  const s = await b.bind(new CycleState(), newPodInfo(pod()), 'node-1');
  t.equal(s.code, 'Success');
  t.same(handle.bound, [{ pod: 'p', node: 'node-1' }]);
  const failing = new DefaultBinder({ bind: async () => { throw new Error('pods "p" not found'); } });
  const f = await failing.bind(new CycleState(), newPodInfo(pod()), 'node-1');
  t.same([f.code, f.reasons], ['Error', ['pods "p" not found']]);
});

t.test('basic registry', async (t) => {
  t.same(basicPluginFactories.map((f) => f.name), [
    Names.PrioritySort, Names.SchedulingGates, Names.NodeUnschedulable, Names.NodeName, Names.NodePorts, Names.NodeResourcesFit,
    Names.NodeResourcesBalancedAllocation, Names.NodeAffinity, Names.TaintToleration, Names.ImageLocality, Names.DefaultBinder,
  ]);
  const handle = new FakeHandle(new FakeSnapshot([new MutableNodeInfo(makeNode('n') as Node)]));
  for (const f of basicPluginFactories) {
    const plugin = f.create(f.validate(undefined), handle);
    t.equal(plugin.name, f.name, `${f.name}: builds with default args`);
    t.doesNotThrow(() => f.validate({ apiVersion: 'kubescheduler.config.k8s.io/v1', kind: `${f.name}Args` }), `${f.name}: apiVersion/kind accepted`);
  }
  t.throws(() => basicPluginFactories.find((f) => f.name === Names.NodePorts)!.validate({ foo: 1 }), /^NodePorts\.args: Invalid value: \{"foo":1\}: plugin NodePorts takes no args$/);
});
