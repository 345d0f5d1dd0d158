// Table-driven tests for NodeAffinity (filter, PreFilter narrowing, scoring, args, hints) and the
// shared node selector helpers, after upstream's node_affinity_test.go cases.
import t from 'tap';
import { CycleState, type Node, type Pod } from '../../framework/interfaces.js';
import { MutableNodeInfo, makeNode } from '../../framework/nodeinfo.js';
import { newPodInfo } from '../../framework/podinfo.js';
import { normalizeColumn } from '../shared/kernel-testing.js';
import { nodeMatchesNodeSelectorTerms, podMatchesNodeAffinity, type NodeSelectorTerm } from '../shared/nodeselector.js';
import { ERR_REASON_CONFLICT, ERR_REASON_ENFORCED, ERR_REASON_POD, NodeAffinity, nodeAffinityFactory } from './index.js';

function pod(spec: Record<string, unknown> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [{ name: 'c' }], ...spec } } as Pod;
}
const required = (...terms: NodeSelectorTerm[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
const expr = (key: string, operator: string, ...values: string[]) => ({ key, operator, ...(values.length ? { values } : {}) });
const field = (operator: string, ...values: string[]) => ({ key: 'metadata.name', operator, values });
const node = (name: string, labels: Record<string, string> = {}): Node => makeNode(name, undefined, { labels });

const plugin = (args?: unknown) => nodeAffinityFactory.create(nodeAffinityFactory.validate(args), undefined as never) as NodeAffinity;

t.test('NodeAffinity filter and PreFilter (upstream TestNodeAffinity)', async (t) => {
  const cases: { name: string; spec: Record<string, unknown>; labels?: Record<string, string>; nodeName?: string; args?: unknown; code: string; reason?: string; prefilter?: string[] | 'Skip' | 'conflict' }[] = [
    { name: 'no selector, no affinity: PreFilter skips', spec: {}, code: 'Success', prefilter: 'Skip' },
    { name: 'missing labels', spec: { nodeSelector: { foo: 'bar' } }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'same labels', spec: { nodeSelector: { foo: 'bar' } }, labels: { foo: 'bar' }, code: 'Success' },
    { name: 'node labels are superset', spec: { nodeSelector: { foo: 'bar' } }, labels: { foo: 'bar', baz: 'blah' }, code: 'Success' },
    { name: 'node labels are subset', spec: { nodeSelector: { foo: 'bar', baz: 'blah' } }, labels: { foo: 'bar' }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'In matches', spec: required({ matchExpressions: [expr('foo', 'In', 'bar', 'value2')] }), labels: { foo: 'bar' }, code: 'Success' },
    { name: 'Gt matches (integer compare, leading zeros)', spec: required({ matchExpressions: [expr('kernel-version', 'Gt', '0204')] }), labels: { 'kernel-version': '0206' }, code: 'Success' },
    { name: 'Gt does not match an equal value', spec: required({ matchExpressions: [expr('kernel-version', 'Gt', '206')] }), labels: { 'kernel-version': '0206' }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'Lt matches', spec: required({ matchExpressions: [expr('cores', 'Lt', '8')] }), labels: { cores: '4' }, code: 'Success' },
    { name: 'Lt with a non-integer node label does not match', spec: required({ matchExpressions: [expr('cores', 'Lt', '8')] }), labels: { cores: 'four' }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'Gt with a missing label does not match', spec: required({ matchExpressions: [expr('cores', 'Gt', '1')] }), code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'Gt with a non-integer value never matches', spec: required({ matchExpressions: [expr('cores', 'Gt', 'x')] }), labels: { cores: '4' }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'NotIn matches', spec: required({ matchExpressions: [expr('mem-type', 'NotIn', 'DDR', 'DDR2')] }), labels: { 'mem-type': 'DDR3' }, code: 'Success' },
    { name: 'NotIn matches a node without the label', spec: required({ matchExpressions: [expr('mem-type', 'NotIn', 'DDR')] }), code: 'Success' },
    { name: 'Exists matches', spec: required({ matchExpressions: [expr('GPU', 'Exists')] }), labels: { GPU: 'NVIDIA-GRID-K1' }, code: 'Success' },
    { name: 'DoesNotExist matches', spec: required({ matchExpressions: [expr('GPU', 'DoesNotExist')] }), labels: { foo: 'bar' }, code: 'Success' },
    { name: 'DoesNotExist rejects', spec: required({ matchExpressions: [expr('GPU', 'DoesNotExist')] }), labels: { GPU: 'x' }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'In does not match', spec: required({ matchExpressions: [expr('foo', 'In', 'value1', 'value2')] }), labels: { foo: 'bar' }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'empty matchExpressions: the term matches nothing', spec: required({ matchExpressions: [] }), labels: { foo: 'bar' }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'empty term list matches nothing', spec: required(), labels: { foo: 'bar' }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'affinity without node selector schedules', spec: { affinity: { nodeAffinity: {} } }, labels: { foo: 'bar' }, code: 'Success', prefilter: 'Skip' },
    { name: 'expressions ANDed, matching', spec: required({ matchExpressions: [expr('GPU', 'Exists'), expr('GPU', 'NotIn', 'AMD', 'INTER')] }), labels: { GPU: 'NVIDIA-GRID-K1' }, code: 'Success' },
    { name: 'expressions ANDed, not matching', spec: required({ matchExpressions: [expr('GPU', 'Exists'), expr('GPU', 'In', 'AMD', 'INTER')] }), labels: { GPU: 'NVIDIA-GRID-K1' }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'terms ORed', spec: required({ matchExpressions: [expr('foo', 'In', 'bar', 'value2')] }, { matchExpressions: [expr('diffkey', 'In', 'wrong', 'value2')] }), labels: { foo: 'bar' }, code: 'Success' },
    { name: 'an invalid term does not spoil a valid one', spec: required({ matchExpressions: [expr('foo', 'Bogus', 'x')] }, { matchExpressions: [expr('foo', 'In', 'bar')] }), labels: { foo: 'bar' }, code: 'Success' },
    { name: 'nodeSelector and affinity both satisfied', spec: { nodeSelector: { foo: 'bar' }, ...required({ matchExpressions: [expr('foo', 'Exists')] }) }, labels: { foo: 'bar' }, code: 'Success' },
    { name: 'affinity satisfied, nodeSelector not', spec: { nodeSelector: { foo: 'bar' }, ...required({ matchExpressions: [expr('foo', 'Exists')] }) }, labels: { foo: 'barrrrrr' }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'invalid value in a term: no match', spec: required({ matchExpressions: [expr('foo', 'NotIn', 'invalid value: ___@#$%^')] }), labels: { foo: 'bar' }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'matchFields In matches', spec: required({ matchFields: [field('In', 'node1')] }), nodeName: 'node1', code: 'Success', prefilter: ['node1'] },
    { name: 'matchFields In does not match', spec: required({ matchFields: [field('In', 'node1')] }), nodeName: 'node2', code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD, prefilter: ['node1'] },
    { name: 'matchFields NotIn excludes the node', spec: required({ matchFields: [field('NotIn', 'node1')] }), nodeName: 'node1', code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD, prefilter: undefined },
    { name: 'two terms: fields miss, expressions match', spec: required({ matchFields: [field('In', 'node1')] }, { matchExpressions: [expr('foo', 'In', 'bar')] }), nodeName: 'node2', labels: { foo: 'bar' }, code: 'Success' },
    { name: 'one term: fields miss, expressions match', spec: required({ matchFields: [field('In', 'node1')], matchExpressions: [expr('foo', 'In', 'bar')] }), nodeName: 'node2', labels: { foo: 'bar' }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD, prefilter: ['node1'] },
    { name: 'one term: fields and expressions match', spec: required({ matchFields: [field('In', 'node1')], matchExpressions: [expr('foo', 'In', 'bar')] }), nodeName: 'node1', labels: { foo: 'bar' }, code: 'Success', prefilter: ['node1'] },
    { name: 'two terms: neither matches', spec: required({ matchFields: [field('In', 'node1')] }, { matchExpressions: [expr('foo', 'In', 'not-match-to-bar')] }), nodeName: 'node2', labels: { foo: 'bar' }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'two terms of node names: union', spec: required({ matchFields: [field('In', 'node1')] }, { matchFields: [field('In', 'node2')] }), nodeName: 'node2', code: 'Success', prefilter: ['node1', 'node2'] },
    { name: 'conflicting name requirements in one term', spec: required({ matchFields: [field('In', 'node1'), field('In', 'node2')] }), nodeName: 'node1', code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD, prefilter: 'conflict' },
    { name: 'matches addedAffinity and the pod affinity', spec: required({ matchExpressions: [expr('zone', 'In', 'bar')] }), labels: { zone: 'bar' }, args: { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [expr('zone', 'In', 'bar', 'foo')] }] } } }, code: 'Success' },
    { name: 'matches addedAffinity but not the pod affinity', spec: required({ matchExpressions: [expr('zone', 'In', 'foo')] }), labels: { zone: 'bar' }, args: { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [expr('zone', 'In', 'bar')] }] } } }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_POD },
    { name: 'does not match addedAffinity', spec: {}, labels: { zone: 'foo' }, args: { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [expr('zone', 'In', 'bar')] }] } } }, code: 'UnschedulableAndUnresolvable', reason: ERR_REASON_ENFORCED },
  ];
  for (const c of cases) {
    const p = plugin(c.args);
    const info = newPodInfo(pod(c.spec));
    const ni = new MutableNodeInfo(node(c.nodeName ?? 'node1', c.labels));
    const state = new CycleState();
    const pre = p.preFilter(state, info);
    if (c.prefilter === 'Skip') t.equal(pre.status.code, 'Skip', `${c.name}: PreFilter Skip`);
    else if (c.prefilter === 'conflict') t.same([pre.status.code, pre.status.reasons], ['UnschedulableAndUnresolvable', [ERR_REASON_CONFLICT]], `${c.name}: PreFilter conflict`);
    else {
      t.equal(pre.status.code, 'Success', `${c.name}: PreFilter succeeds`);
      t.same(pre.result?.nodeNames ? [...pre.result.nodeNames].sort() : undefined, c.prefilter, `${c.name}: PreFilter node names`);
    }
    const s = p.filter(state, info, ni);
    t.equal(s.code, c.code, `${c.name}: code`);
    t.same(s.reasons, c.reason ? [c.reason] : [], `${c.name}: reasons`);
    // Filter alone (PreFilter disabled) falls back to computing the same answer.
    t.equal(p.filter(new CycleState(), info, ni).code, c.code, `${c.name}: same code without PreFilter`);
  }
});

t.test('NodeAffinity scoring (upstream TestNodeAffinityPriority)', async (t) => {
  const pref = (...terms: [number, ReturnType<typeof expr>[]][]) => ({
    affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms.map(([weight, matchExpressions]) => ({ weight, preference: { matchExpressions } })) } },
  });
  const affinity1 = pref([2, [expr('foo', 'In', 'bar')]]);
  const affinity2 = pref([2, [expr('foo', 'In', 'bar')]], [4, [expr('key', 'In', 'value')]], [5, [expr('foo', 'In', 'bar'), expr('key', 'In', 'value'), expr('az', 'In', 'az1')]]);
  const label1 = { foo: 'bar' };
  const label2 = { key: 'value' };
  const label3 = { az: 'az1' };
  const label5 = { foo: 'bar', key: 'value', az: 'az1' };
  const added = { addedAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 3, preference: { matchExpressions: [expr('key', 'In', 'value')] } }] } };
  const cases: { name: string; spec: Record<string, unknown>; nodes: Record<string, string>[]; args?: unknown; skip?: boolean; raw?: number[]; normalized: number[] }[] = [
    { name: 'no preferred terms: PreScore skips', spec: {}, nodes: [label1, label2, label3], skip: true, normalized: [0, 0, 0] },
    { name: 'preferred terms match no node', spec: pref([2, [expr('foo', 'In', 'nope')]]), nodes: [label1, label2, label3], raw: [0, 0, 0], normalized: [0, 0, 0] },
    { name: 'only machine1 matches', spec: affinity1, nodes: [label1, label2, label3], raw: [2, 0, 0], normalized: [100, 0, 0] },
    { name: 'all machines match some terms', spec: affinity2, nodes: [label1, label5, label2], raw: [2, 11, 4], normalized: [18, 100, 36] },
    { name: 'weight-0 terms are ignored', spec: pref([0, [expr('foo', 'In', 'bar')]], [1, [expr('key', 'Exists')]]), nodes: [label1, label2], raw: [0, 1], normalized: [0, 100] },
    { name: 'added preferred affinity only', spec: {}, args: added, nodes: [label1, label2, label3], raw: [0, 3, 0], normalized: [0, 100, 0] },
    { name: 'added and pod preferred affinity sum', spec: affinity1, args: added, nodes: [label1, label5, label2], raw: [2, 5, 3], normalized: [40, 100, 60] },
  ];
  for (const c of cases) {
    const p = plugin(c.args);
    const info = newPodInfo(pod(c.spec));
    const nodes = c.nodes.map((l, i) => new MutableNodeInfo(node(`m${i}`, l), i));
    const state = new CycleState();
    const pre = p.preScore(state, info, nodes);
    if (c.skip) {
      t.equal(pre.code, 'Skip', `${c.name}: PreScore Skip`);
      continue;
    }
    t.equal(pre.code, 'Success', `${c.name}: PreScore`);
    const raw = new Float64Array(nodes.length);
    t.equal(p.scoreColumn(state, info, nodes, raw).code, 'Success', `${c.name}: scoreColumn`);
    t.same([...raw], c.raw, `${c.name}: raw`);
    t.equal(p.normalization, 'default');
    t.same(normalizeColumn(p.normalization, [...raw]), c.normalized, `${c.name}: normalized`);
  }
  t.equal(p0().preScore(new CycleState(), newPodInfo(pod(affinity1)), []).code, 'Success', 'no nodes: nothing to do');
  function p0() {
    return plugin();
  }
});

t.test('NodeAffinityArgs validation', async (t) => {
  t.same(nodeAffinityFactory.validate(undefined), {});
  t.same(nodeAffinityFactory.validate({ addedAffinity: null }), {});
  const ok = { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [expr('zone', 'In', 'a')], matchFields: [field('In', 'n1')] }] } } };
  t.same(nodeAffinityFactory.validate(ok), ok);
  const path = 'NodeAffinityArgs.addedAffinity';
  const req = (term: unknown) => ({ addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } } });
  const errors: [string, unknown, RegExp][] = [
    ['invalid operator', req({ matchExpressions: [expr('a', 'Bogus', 'x')] }), new RegExp(`^${path}\\.requiredDuringSchedulingIgnoredDuringExecution\\.nodeSelectorTerms\\[0\\]\\.matchExpressions\\[0\\]\\.operator: Invalid value: "Bogus": not a valid selector operator$`)],
    ['In without values', req({ matchExpressions: [expr('a', 'In')] }), /matchExpressions\[0\]\.values: Required value: must be specified when `operator` is 'In' or 'NotIn'/],
    ['Exists with values', req({ matchExpressions: [expr('a', 'Exists', 'x')] }), /matchExpressions\[0\]\.values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'/],
    ['Gt with two values', req({ matchExpressions: [expr('a', 'Gt', '1', '2')] }), /values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'/],
    ['Lt with a non-integer', req({ matchExpressions: [expr('a', 'Lt', 'x')] }), /values\[0\]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer/],
    ['invalid key', req({ matchExpressions: [expr('-a', 'Exists')] }), /matchExpressions\[0\]\.key: Invalid value: "-a": name part must consist of/],
    ['invalid field key', req({ matchFields: [{ key: 'metadata.namespace', operator: 'In', values: ['x'] }] }), /matchFields\[0\]\.key: Invalid value: "metadata.namespace": not a valid field selector key/],
    ['field with two values', req({ matchFields: [field('In', 'a', 'b')] }), /matchFields\[0\]\.values: Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector/],
    ['field with Exists', req({ matchFields: [{ key: 'metadata.name', operator: 'Exists' }] }), /matchFields\[0\]\.operator: Invalid value: "Exists": not a valid selector operator/],
    ['no terms', { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }, /requiredDuringSchedulingIgnoredDuringExecution\.nodeSelectorTerms: Required value: must have at least one node selector term/],
    ['preferred weight 0', { addedAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }] } }, /preferredDuringSchedulingIgnoredDuringExecution\[0\]\.weight: Invalid value: 0: must be in the range 1-100/],
    ['preferred weight 101', { addedAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 101, preference: {} }] } }, /weight: Invalid value: 101: must be in the range 1-100/],
    ['unknown field', { addedAffinity: { requiredDuringSchedulingRequiredDuringExecution: {} } }, /addedAffinity\.requiredDuringSchedulingRequiredDuringExecution: unknown field/],
    ['unknown top-level field', { added: {} }, /^NodeAffinityArgs\.added: unknown field "added"$/],
  ];
  for (const [name, args, re] of errors) t.throws(() => nodeAffinityFactory.validate(args), re, name);
});

t.test('NodeAffinity queueing hints', async (t) => {
  const p = plugin({ addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [expr('pool', 'Exists')] }] } } });
  const events = p.eventsToRegister();
  t.same(events.map((e) => `${e.event.resource}/${e.event.action}`), ['Node/Add', 'Node/UpdateNodeLabel']);
  const hint = events[0]!.hint!;
  const thePod = pod({ nodeSelector: { zone: 'a' } });
  const cases: [string, Node | undefined, Node, string][] = [
    ['added node matching', undefined, node('n', { zone: 'a', pool: 'x' }), 'Queue'],
    ['added node not matching the pod', undefined, node('n', { zone: 'b', pool: 'x' }), 'QueueSkip'],
    ['added node not matching addedAffinity', undefined, node('n', { zone: 'a' }), 'QueueSkip'],
    ['label update makes it match', node('n', { zone: 'b', pool: 'x' }), node('n', { zone: 'a', pool: 'x' }), 'Queue'],
    ['label update on an already matching node', node('n', { zone: 'a', pool: 'x', v: '1' }), node('n', { zone: 'a', pool: 'x', v: '2' }), 'QueueSkip'],
  ];
  for (const [name, oldNode, newNode, want] of cases) t.equal(hint(thePod, oldNode, newNode), want, name);
});

t.test('shared node selector helpers', async (t) => {
  const n = node('node1', { zone: 'a', cores: '16' });
  const cases: [string, NodeSelectorTerm[] | undefined, boolean][] = [
    ['undefined terms match nothing', undefined, false],
    ['empty list matches nothing', [], false],
    ['empty term matches nothing', [{}], false],
    ['In', [{ matchExpressions: [expr('zone', 'In', 'a', 'b')] }], true],
    ['Gt/Lt range', [{ matchExpressions: [expr('cores', 'Gt', '8'), expr('cores', 'Lt', '32')] }], true],
    ['matchFields', [{ matchFields: [field('In', 'node1')] }], true],
    ['matchFields NotIn', [{ matchFields: [field('NotIn', 'node1')] }], false],
    ['bad field key makes the term match nothing', [{ matchFields: [{ key: 'spec.x', operator: 'In', values: ['node1'] }] }], false],
  ];
  for (const [name, terms, want] of cases) t.equal(nodeMatchesNodeSelectorTerms(n, terms), want, name);
  t.ok(podMatchesNodeAffinity(pod({ nodeSelector: { zone: 'a' } }), n), 'podMatchesNodeAffinity: nodeSelector');
  t.notOk(podMatchesNodeAffinity(pod(required({ matchExpressions: [expr('zone', 'In', 'b')] })), n), 'podMatchesNodeAffinity: required terms');
});
