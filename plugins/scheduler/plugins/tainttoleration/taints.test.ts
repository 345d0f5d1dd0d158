// Table-driven tests for TaintToleration (filter, score, hints), NodeUnschedulable, and the shared
// taint helpers, after upstream's taint_toleration_test.go and node_unschedulable_test.go.
import t from 'tap';
import { CycleState, type Node, type Pod } from '../../framework/interfaces.js';
import { MutableNodeInfo, makeNode } from '../../framework/nodeinfo.js';
import { newPodInfo } from '../../framework/podinfo.js';
import { ERR_REASON_UNSCHEDULABLE, nodeUnschedulableFactory, type NodeUnschedulable } from '../nodeunschedulable/index.js';
import { normalizeColumn } from '../shared/kernel-testing.js';
import { findMatchingUntoleratedTaint, isDoNotScheduleTaint, tolerationToleratesTaint, type Taint, type Toleration } from '../shared/taints.js';
import { taintTolerationFactory, type TaintToleration } from './index.js';

function pod(tolerations: Toleration[] = []): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c' }], tolerations } } as Pod;
}
const taint = (key: string, value: string, effect: string): Taint => ({ key, value, effect });
const tol = (key: string, operator: string, value: string, effect: string, extra: Partial<Toleration> = {}): Toleration => ({ key, operator, value, effect, ...extra });
const node = (name: string, taints: Taint[] = [], unschedulable = false): Node => makeNode(name, undefined, { taints, unschedulable });

const tt = taintTolerationFactory.create(taintTolerationFactory.validate(undefined), undefined as never) as TaintToleration;
const nu = nodeUnschedulableFactory.create(nodeUnschedulableFactory.validate(undefined), undefined as never) as NodeUnschedulable;

t.test('TaintToleration filter (upstream TestTaintTolerationFilter)', async (t) => {
  const cases: { name: string; tolerations: Toleration[]; taints: Taint[]; reason?: string }[] = [
    { name: 'no tolerations, a NoSchedule taint', tolerations: [], taints: [taint('dedicated', 'user1', 'NoSchedule')], reason: 'node(s) had untolerated taint {dedicated: user1}' },
    { name: 'toleration matches key, value and effect', tolerations: [tol('dedicated', 'Equal', 'user1', 'NoSchedule')], taints: [taint('dedicated', 'user1', 'NoSchedule')] },
    { name: 'toleration value differs', tolerations: [tol('dedicated', 'Equal', 'user2', 'NoSchedule')], taints: [taint('dedicated', 'user1', 'NoSchedule')], reason: 'node(s) had untolerated taint {dedicated: user1}' },
    { name: 'Exists tolerates any value', tolerations: [tol('foo', 'Exists', '', 'NoSchedule')], taints: [taint('foo', 'bar', 'NoSchedule')] },
    { name: 'several tolerations, several taints, all tolerated', tolerations: [tol('dedicated', 'Equal', 'user2', 'NoSchedule'), tol('foo', 'Exists', '', 'NoSchedule')], taints: [taint('dedicated', 'user2', 'NoSchedule'), taint('foo', 'bar', 'NoSchedule')] },
    { name: 'effect differs (PreferNoSchedule toleration, NoSchedule taint)', tolerations: [tol('foo', 'Equal', 'bar', 'PreferNoSchedule')], taints: [taint('foo', 'bar', 'NoSchedule')], reason: 'node(s) had untolerated taint {foo: bar}' },
    { name: 'empty toleration effect matches every effect', tolerations: [tol('foo', 'Equal', 'bar', '')], taints: [taint('foo', 'bar', 'NoSchedule')] },
    { name: 'untolerated PreferNoSchedule taint does not filter', tolerations: [tol('dedicated', 'Equal', 'user2', 'NoSchedule')], taints: [taint('dedicated', 'user1', 'PreferNoSchedule')] },
    { name: 'no tolerations, only PreferNoSchedule', tolerations: [], taints: [taint('dedicated', 'user1', 'PreferNoSchedule')] },
    { name: 'untolerated NoExecute taint filters', tolerations: [], taints: [taint('dedicated', 'user1', 'NoExecute')], reason: 'node(s) had untolerated taint {dedicated: user1}' },
    { name: 'NoExecute tolerated with tolerationSeconds still schedules', tolerations: [tol('dedicated', 'Equal', 'user1', 'NoExecute', { tolerationSeconds: 30 })], taints: [taint('dedicated', 'user1', 'NoExecute')] },
    { name: 'empty key with Exists tolerates everything', tolerations: [{ operator: 'Exists' }], taints: [taint('a', '1', 'NoSchedule'), taint('b', '2', 'NoExecute')] },
    { name: 'empty key with Exists and an effect tolerates that effect only', tolerations: [{ operator: 'Exists', effect: 'NoSchedule' }], taints: [taint('a', '1', 'NoSchedule'), taint('b', '2', 'NoExecute')], reason: 'node(s) had untolerated taint {b: 2}' },
    { name: 'the first untolerated taint in node order is reported', tolerations: [], taints: [taint('x', '', 'PreferNoSchedule'), taint('y', 'v', 'NoExecute'), taint('z', 'w', 'NoSchedule')], reason: 'node(s) had untolerated taint {y: v}' },
    { name: 'taint without a value prints empty', tolerations: [], taints: [{ key: 'gpu', effect: 'NoSchedule' }], reason: 'node(s) had untolerated taint {gpu: }' },
    { name: 'no operator means Equal: empty value matches empty value', tolerations: [{ key: 'gpu', effect: 'NoSchedule' }], taints: [{ key: 'gpu', effect: 'NoSchedule' }] },
    { name: 'unknown operator tolerates nothing', tolerations: [tol('gpu', 'Gte', '', 'NoSchedule')], taints: [{ key: 'gpu', effect: 'NoSchedule' }], reason: 'node(s) had untolerated taint {gpu: }' },
  ];
  for (const c of cases) {
    const s = tt.filter(new CycleState(), newPodInfo(pod(c.tolerations)), new MutableNodeInfo(node('n', c.taints)));
    t.equal(s.code, c.reason ? 'UnschedulableAndUnresolvable' : 'Success', `${c.name}: code`);
    t.same(s.reasons, c.reason ? [c.reason] : [], `${c.name}: reasons`);
  }
});

t.test('TaintToleration score (upstream TestTaintTolerationScore)', async (t) => {
  const pns = 'PreferNoSchedule';
  const cases: { name: string; tolerations: Toleration[]; nodes: Taint[][]; raw: number[]; normalized: number[] }[] = [
    { name: 'tolerated taints score higher than intolerable ones', tolerations: [tol('foo', 'Equal', 'bar', pns)], nodes: [[taint('foo', 'bar', pns)], [taint('foo', 'blah', pns)]], raw: [0, 1], normalized: [100, 0] },
    {
      name: 'all tolerated: same score however many taints', tolerations: [tol('cpu-type', 'Equal', 'arm64', pns), tol('disk-type', 'Equal', 'ssd', pns)],
      nodes: [[], [taint('cpu-type', 'arm64', pns)], [taint('cpu-type', 'arm64', pns), taint('disk-type', 'ssd', pns)]], raw: [0, 0, 0], normalized: [100, 100, 100],
    },
    {
      name: 'more intolerable taints, lower score', tolerations: [tol('foo', 'Equal', 'bar', pns)],
      nodes: [[], [taint('cpu-type', 'arm64', pns)], [taint('cpu-type', 'arm64', pns), taint('disk-type', 'ssd', pns)]], raw: [0, 1, 2], normalized: [100, 50, 0],
    },
    {
      name: 'only PreferNoSchedule taints and tolerations count', tolerations: [tol('cpu-type', 'Equal', 'arm64', 'NoSchedule'), tol('disk-type', 'Equal', 'ssd', 'NoSchedule')],
      nodes: [[], [taint('cpu-type', 'arm64', 'NoSchedule')], [taint('cpu-type', 'arm64', pns)]], raw: [0, 0, 1], normalized: [100, 100, 0],
    },
    { name: 'no taints and tolerations: lands on the node without taints', tolerations: [], nodes: [[], [taint('cpu-type', 'arm64', pns)]], raw: [0, 1], normalized: [100, 0] },
    { name: 'a toleration with empty effect counts for PreferNoSchedule', tolerations: [tol('foo', 'Exists', '', '')], nodes: [[taint('foo', 'x', pns)], [taint('bar', 'x', pns)]], raw: [0, 1], normalized: [100, 0] },
  ];
  for (const c of cases) {
    const info = newPodInfo(pod(c.tolerations));
    const nodes = c.nodes.map((taints, i) => new MutableNodeInfo(node(`n${i}`, taints), i));
    const state = new CycleState();
    t.equal(tt.preScore(state, info, nodes).code, 'Success', `${c.name}: PreScore`);
    const raw = new Float64Array(nodes.length);
    t.equal(tt.scoreColumn(state, info, nodes, raw).code, 'Success', `${c.name}: scoreColumn`);
    t.same([...raw], c.raw, `${c.name}: raw`);
    t.same(normalizeColumn(tt.normalization, [...raw]), c.normalized, `${c.name}: normalized`);
    const again = new Float64Array(nodes.length);
    tt.scoreColumn(new CycleState(), info, nodes, again);
    t.same([...again], c.raw, `${c.name}: same raw without PreScore`);
  }
});

t.test('score columns are written by NodeInfo.index, feasible nodes only', async (t) => {
  const info = newPodInfo(pod());
  const all = [[], [taint('a', '', 'PreferNoSchedule')], [taint('b', '', 'PreferNoSchedule'), taint('c', '', 'PreferNoSchedule')]].map((ts, i) => new MutableNodeInfo(node(`n${i}`, ts), i));
  const raw = new Float64Array(4).fill(-7);
  const feasible = [all[2]!, all[0]!];
  tt.preScore(new CycleState(), info, feasible);
  tt.scoreColumn(new CycleState(), info, feasible, raw);
  t.same([...raw], [0, -7, 2, -7], 'slots 0 and 2 written, 1 and 3 untouched');
});

t.test('TaintToleration queueing hints', async (t) => {
  const events = tt.eventsToRegister();
  t.same(events.map((e) => `${e.event.resource}/${e.event.action}`), ['Node/Add', 'Node/UpdateNodeTaint']);
  const hint = events[0]!.hint!;
  const p = pod([tol('foo', 'Equal', 'bar', 'NoSchedule')]);
  const cases: [string, Node | undefined, Node, string][] = [
    ['added node with tolerated taints', undefined, node('n', [taint('foo', 'bar', 'NoSchedule')]), 'Queue'],
    ['added node with an untolerated taint', undefined, node('n', [taint('x', 'y', 'NoSchedule')]), 'QueueSkip'],
    ['untolerated taint removed', node('n', [taint('x', 'y', 'NoExecute')]), node('n', []), 'Queue'],
    ['taints were already tolerated', node('n', []), node('n', [taint('foo', 'bar', 'NoSchedule')]), 'QueueSkip'],
    ['still untolerated', node('n', [taint('x', 'y', 'NoSchedule')]), node('n', [taint('x', 'z', 'NoSchedule')]), 'QueueSkip'],
  ];
  for (const [name, oldNode, newNode, want] of cases) t.equal(hint(p, oldNode, newNode), want, name);
});

t.test('NodeUnschedulable (upstream TestNodeUnschedulable)', async (t) => {
  const cases: { name: string; unschedulable: boolean; tolerations: Toleration[]; rejected: boolean }[] = [
    { name: 'schedulable node', unschedulable: false, tolerations: [], rejected: false },
    { name: 'unschedulable node, no toleration', unschedulable: true, tolerations: [], rejected: true },
    { name: 'unschedulable node, pod tolerates the unschedulable taint', unschedulable: true, tolerations: [tol('node.kubernetes.io/unschedulable', 'Exists', '', 'NoSchedule')], rejected: false },
    { name: 'unschedulable node, empty-key Exists toleration', unschedulable: true, tolerations: [{ operator: 'Exists' }], rejected: false },
    { name: 'unschedulable node, toleration for another effect', unschedulable: true, tolerations: [tol('node.kubernetes.io/unschedulable', 'Exists', '', 'NoExecute')], rejected: true },
  ];
  for (const c of cases) {
    const s = nu.filter(new CycleState(), newPodInfo(pod(c.tolerations)), new MutableNodeInfo(node('n', [], c.unschedulable)));
    t.same([s.code, s.reasons], c.rejected ? ['UnschedulableAndUnresolvable', [ERR_REASON_UNSCHEDULABLE]] : ['Success', []], c.name);
  }
  const events = nu.eventsToRegister();
  t.same(events.map((e) => `${e.event.resource}/${e.event.action}`), ['Node/Add', 'Node/UpdateNodeTaint']);
  const hint = events[0]!.hint!;
  t.equal(hint(pod(), undefined, node('n')), 'Queue', 'schedulable node added');
  t.equal(hint(pod(), undefined, node('n', [], true)), 'QueueSkip', 'cordoned node added');
  t.equal(hint(pod(), node('n', [], true), node('n')), 'Queue', 'node uncordoned');
  t.equal(hint(pod(), node('n'), node('n')), 'QueueSkip', 'already schedulable');
});

t.test('shared taint helpers', async (t) => {
  const tn = taint('k', 'v', 'NoSchedule');
  const cases: [string, Toleration, boolean][] = [
    ['Equal same value', tol('k', 'Equal', 'v', 'NoSchedule'), true],
    ['Equal other value', tol('k', 'Equal', 'w', 'NoSchedule'), false],
    ['Exists other key', tol('j', 'Exists', '', ''), false],
    ['empty key Exists', { operator: 'Exists' }, true],
    ['empty key Equal with value matches only that value', { operator: 'Equal', value: 'v' }, true],
    ['effect mismatch', tol('k', 'Exists', '', 'NoExecute'), false],
  ];
  for (const [name, toleration, want] of cases) t.equal(tolerationToleratesTaint(toleration, tn), want, name);
  t.equal(findMatchingUntoleratedTaint(undefined, []), undefined, 'no taints');
  t.same(findMatchingUntoleratedTaint([taint('a', '', 'PreferNoSchedule'), tn], [], isDoNotScheduleTaint), tn, 'filter skips PreferNoSchedule');
  t.same(findMatchingUntoleratedTaint([taint('a', '', 'PreferNoSchedule')], []), taint('a', '', 'PreferNoSchedule'), 'no filter: any effect');
});
