// InterPodAffinity: filter and score semantics, table-driven as upstream's tests are.
import t from 'tap';
import { CycleState, type Pod } from '../../framework/interfaces.js';
import { newPodInfo } from '../../framework/podinfo.js';
import { FakeHandle, filterAll, makeCluster, makePod, normalizeColumn } from '../testing.js';
import {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH as AFF, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH as ANTI,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH as EXISTING, InterPodAffinity, interPodAffinityFactory,
} from './index.js';

const term = (labels: Record<string, string>, topologyKey: string, extra: Record<string, unknown> = {}) => ({ labelSelector: { matchLabels: labels }, topologyKey, ...extra });
const affinity = (kind: 'podAffinity' | 'podAntiAffinity', required: unknown[] = [], preferred: unknown[] = []) => ({
  [kind]: { requiredDuringSchedulingIgnoredDuringExecution: required, preferredDuringSchedulingIgnoredDuringExecution: preferred },
});
const podWith = (name: string, labels: Record<string, string>, aff: Record<string, unknown> = {}, extra: Parameters<typeof makePod>[1] = {}) =>
  makePod(name, { labels, ...extra, spec: { affinity: aff, ...(extra.spec ?? {}) } });

const nodes = [
  { name: 'n1', labels: { region: 'r1', zone: 'z1' } },
  { name: 'n2', labels: { region: 'r1', zone: 'z2' } },
  { name: 'n3', labels: { region: 'r2', zone: 'z3' } },
];

function plugin(snap: ReturnType<typeof makeCluster>, args?: unknown) {
  return new InterPodAffinity(interPodAffinityFactory.validate(args), new FakeHandle(snap));
}

t.test('Filter', async (t) => {
  const cases: { name: string; pod: Pod; pods?: Pod[]; nodes?: typeof nodes; ns?: Record<string, Record<string, string>>; want: Record<string, string> }[] = [
    { name: 'no affinity: Skip, every node fits', pod: makePod('p'), pods: [makePod('e', { labels: { app: 'db' }, node: 'n1' })], want: { n1: 'Success', n2: 'Success', n3: 'Success' } },
    {
      name: 'required affinity to a pod in region r1',
      pod: podWith('p', {}, affinity('podAffinity', [term({ app: 'db' }, 'region')])),
      pods: [makePod('e', { labels: { app: 'db' }, node: 'n1' })],
      want: { n1: 'Success', n2: 'Success', n3: `UnschedulableAndUnresolvable: ${AFF}` },
    },
    {
      name: 'first pod of a group: affinity to its own labels with no match anywhere fits nodes with the key',
      pod: podWith('p', { app: 'web' }, affinity('podAffinity', [term({ app: 'web' }, 'zone')])),
      nodes: [...nodes.slice(0, 2), { name: 'n3', labels: { region: 'r2' } as { region: string; zone: string } }],
      want: { n1: 'Success', n2: 'Success', n3: `UnschedulableAndUnresolvable: ${AFF}` },
    },
    {
      name: 'affinity to its own labels once a matching pod exists: only its topology',
      pod: podWith('p', { app: 'web' }, affinity('podAffinity', [term({ app: 'web' }, 'zone')])),
      pods: [makePod('e', { labels: { app: 'web' }, node: 'n2' })],
      want: { n1: `UnschedulableAndUnresolvable: ${AFF}`, n2: 'Success', n3: `UnschedulableAndUnresolvable: ${AFF}` },
    },
    {
      name: 'required anti-affinity by region',
      pod: podWith('p', {}, affinity('podAntiAffinity', [term({ app: 'db' }, 'region')])),
      pods: [makePod('e', { labels: { app: 'db' }, node: 'n1' })],
      want: { n1: `Unschedulable: ${ANTI}`, n2: `Unschedulable: ${ANTI}`, n3: 'Success' },
    },
    {
      name: "existing pod's anti-affinity rejects the incoming pod in its zone",
      pod: makePod('p', { labels: { app: 'web' } }),
      pods: [podWith('e', { app: 'db' }, affinity('podAntiAffinity', [term({ app: 'web' }, 'zone')]), { node: 'n2' })],
      want: { n1: 'Success', n2: `Unschedulable: ${EXISTING}`, n3: 'Success' },
    },
    {
      name: 'terms only look at their namespaces',
      pod: podWith('p', {}, affinity('podAntiAffinity', [term({ app: 'db' }, 'zone')])),
      pods: [makePod('e', { labels: { app: 'db' }, node: 'n1', ns: 'other' })],
      want: { n1: 'Success', n2: 'Success', n3: 'Success' },
    },
    {
      name: 'namespaceSelector selects namespaces by their labels',
      pod: podWith('p', {}, affinity('podAntiAffinity', [term({ app: 'db' }, 'zone', { namespaceSelector: { matchLabels: { team: 'a' } } })])),
      pods: [makePod('e1', { labels: { app: 'db' }, node: 'n1', ns: 'team-a' }), makePod('e2', { labels: { app: 'db' }, node: 'n2', ns: 'team-b' })],
      ns: { 'team-a': { team: 'a' }, 'team-b': { team: 'b' } },
      want: { n1: `Unschedulable: ${ANTI}`, n2: 'Success', n3: 'Success' },
    },
    {
      name: 'affinity and anti-affinity together',
      pod: podWith('p', { app: 'web' }, {
        ...affinity('podAffinity', [term({ app: 'db' }, 'region')]),
        ...affinity('podAntiAffinity', [term({ app: 'web' }, 'zone')]),
      }),
      pods: [makePod('db', { labels: { app: 'db' }, node: 'n1' }), makePod('web', { labels: { app: 'web' }, node: 'n1' })],
      want: { n1: `Unschedulable: ${ANTI}`, n2: 'Success', n3: `UnschedulableAndUnresolvable: ${AFF}` },
    },
  ];
  for (const c of cases) {
    const snap = makeCluster(c.nodes ?? nodes, c.pods ?? [], c.ns);
    t.same(filterAll(plugin(snap), snap, c.pod), c.want, c.name);
  }
});

t.test('PreFilter extensions: removing the conflicting pod lifts anti-affinity', async (t) => {
  const snap = makeCluster(nodes, [makePod('e', { labels: { app: 'db' }, node: 'n1' }), podWith('x', { app: 'x' }, affinity('podAntiAffinity', [term({ app: 'web' }, 'zone')]), { node: 'n2' })]);
  const p = plugin(snap);
  const pod = newPodInfo(podWith('p', { app: 'web' }, affinity('podAntiAffinity', [term({ app: 'db' }, 'zone')])));
  const state = new CycleState();
  p.preFilter(state, pod, snap.list());
  t.equal(p.filter(state, pod, snap.get('n1')!).code, 'Unschedulable');
  t.equal(p.filter(state, pod, snap.get('n2')!).reasons[0], EXISTING);
  const copy = state.clone();
  const ext = p.preFilterExtensions();
  ext.removePod(copy, pod, snap.nodes[0]!.pods[0]!, snap.nodes[0]!);
  ext.removePod(copy, pod, snap.nodes[1]!.pods[0]!, snap.nodes[1]!);
  t.equal(p.filter(copy, pod, snap.get('n1')!).code, 'Success', 'the db pod removed');
  t.equal(p.filter(copy, pod, snap.get('n2')!).code, 'Success', 'the pod with anti-affinity removed');
  t.equal(p.filter(state, pod, snap.get('n1')!).code, 'Unschedulable', 'the original state is untouched');
  ext.addPod(copy, pod, snap.nodes[0]!.pods[0]!, snap.nodes[0]!);
  t.equal(p.filter(copy, pod, snap.get('n1')!).code, 'Unschedulable', 'added back');
});

t.test('Score (raw column + the kernel minMax normalization)', async (t) => {
  const weighted = (weight: number, labels: Record<string, string>, key: string) => ({ weight, podAffinityTerm: term(labels, key) });
  const cases: { name: string; pod: Pod; pods: Pod[]; args?: unknown; wantRaw?: number[]; want?: number[]; skip?: boolean }[] = [
    {
      name: 'preferred affinity: the region with a matching pod scores',
      pod: podWith('p', {}, affinity('podAffinity', [], [weighted(5, { security: 'S1' }, 'region')])),
      pods: [makePod('e', { labels: { security: 'S1' }, node: 'n1' })],
      wantRaw: [5, 5, 0],
      want: [100, 100, 0],
    },
    {
      name: 'preferred anti-affinity subtracts its weight',
      pod: podWith('p', {}, affinity('podAntiAffinity', [], [weighted(5, { security: 'S1' }, 'zone')])),
      pods: [makePod('e', { labels: { security: 'S1' }, node: 'n1' })],
      wantRaw: [-5, 0, 0],
      want: [0, 100, 100],
    },
    {
      name: 'affinity and anti-affinity terms add up per topology',
      pod: podWith('p', {}, {
        ...affinity('podAffinity', [], [weighted(8, { security: 'S1' }, 'region')]),
        ...affinity('podAntiAffinity', [], [weighted(5, { security: 'S1' }, 'zone')]),
      }),
      pods: [makePod('e', { labels: { security: 'S1' }, node: 'n1' })],
      wantRaw: [3, 8, 0],
      want: [37, 100, 0],
    },
    {
      name: "an existing pod's required affinity to the incoming pod counts hardPodAffinityWeight",
      pod: makePod('p', { labels: { app: 'web' } }),
      pods: [podWith('e', {}, affinity('podAffinity', [term({ app: 'web' }, 'zone')]), { node: 'n3' })],
      args: { hardPodAffinityWeight: 7 },
      wantRaw: [0, 0, 7],
      want: [0, 0, 100],
    },
    {
      name: "existing pods' preferred anti-affinity against the incoming pod",
      pod: makePod('p', { labels: { app: 'web' } }),
      pods: [podWith('e', {}, affinity('podAntiAffinity', [], [weighted(10, { app: 'web' }, 'region')]), { node: 'n1' })],
      wantRaw: [-10, -10, 0],
      want: [0, 0, 100],
    },
    {
      name: 'ignorePreferredTermsOfExistingPods with no terms on the incoming pod: Skip',
      pod: makePod('p', { labels: { app: 'web' } }),
      pods: [podWith('e', {}, affinity('podAntiAffinity', [], [weighted(10, { app: 'web' }, 'region')]), { node: 'n1' })],
      args: { ignorePreferredTermsOfExistingPods: true },
      skip: true,
    },
    { name: 'nothing to score: Skip', pod: makePod('p'), pods: [makePod('e', { node: 'n1' })], skip: true },
  ];
  for (const c of cases) {
    const snap = makeCluster(nodes, c.pods);
    const p = plugin(snap, c.args);
    const pod = newPodInfo(c.pod);
    const state = new CycleState();
    const s = p.preScore(state, pod, snap.list());
    if (c.skip) {
      t.equal(s.code, 'Skip', c.name);
      continue;
    }
    t.equal(s.code, 'Success', `${c.name}: preScore`);
    const raw = new Float64Array(16);
    p.scoreColumn(state, pod, snap.list(), raw);
    t.same(Array.from(raw.subarray(0, 3)), c.wantRaw, `${c.name}: raw`);
    t.same(normalizeColumn(p.normalization, raw, 3), c.want, `${c.name}: normalized`);
  }
});

t.test('args validation names the field', async (t) => {
  t.same(interPodAffinityFactory.validate(undefined), { hardPodAffinityWeight: 1, ignorePreferredTermsOfExistingPods: false });
  t.throws(() => interPodAffinityFactory.validate({ hardPodAffinityWeight: 101 }), /InterPodAffinityArgs\.hardPodAffinityWeight: Invalid value: 101: not in valid range \[0, 100\]/);
  t.throws(() => interPodAffinityFactory.validate({ hardPodAffinityWeight: -1 }), /not in valid range/);
});
