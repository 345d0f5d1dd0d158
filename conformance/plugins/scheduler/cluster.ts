// The generated cluster the scheduler plugin suite runs on: nodes with zones, racks, taints,
// cordons, images and uneven resources, pods already placed (some with affinity terms), and
// incoming pods covering what the built-in plugins look at (requests, tolerations, selectors,
// node and pod (anti-)affinity, spread constraints, host ports, priorities, a nodeName).
// Deterministic for a seed, so a failure reproduces.
import type { Node, Pod } from '../../../plugins/scheduler/framework/interfaces.js';
import { makeNode } from '../../../plugins/scheduler/framework/nodeinfo.js';
import { seededRandom } from '../../../kernel/testing/random.js';

const rng = seededRandom;

const NODES = 24;
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const APPS = ['web', 'db', 'cache'];

function node(r: () => number, i: number): Node {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const n = makeNode(`node-${i}`, { cpu: String(1 + Math.floor(r() * 8)), memory: `${2 + Math.floor(r() * 30)}Gi`, pods: 4 + Math.floor(r() * 20), ...(r() < 0.2 ? { 'example.com/gpu': 2 } : {}) }, {
    labels: { ...(r() < 0.9 ? { 'topology.kubernetes.io/zone': pick(ZONES) } : {}), rack: `rack-${Math.floor(r() * 4)}`, ...(r() < 0.5 ? { disk: 'ssd' } : {}) },
    ...(r() < 0.2 ? { taints: [{ key: 'dedicated', value: pick(['batch', 'gpu']), effect: pick(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) }] } : {}),
    unschedulable: r() < 0.08,
  });
  if (r() < 0.4) n.status!.images = [{ names: ['docker.io/library/nginx:1.27', 'nginx:1.27'], sizeBytes: (100 + Math.floor(r() * 400)) * 2 ** 20 }];
  return n;
}

function pod(name: string, ns: string, labels: Record<string, string>, spec: Record<string, unknown>): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, uid: `uid-${name}`, labels }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }], ...spec } } as Pod;
}

const term = (app: string, key: string) => ({ topologyKey: key, labelSelector: { matchLabels: { app } } });

export function generateCluster(seed: number): { nodes: Node[]; placed: Pod[]; namespaces: Record<string, Record<string, string>> } {
  const r = rng(seed);
  const nodes = Array.from({ length: NODES }, (_, i) => node(r, i));
  const placed: Pod[] = [];
  for (let i = 0; i < NODES * 2; i++) {
    const app = APPS[Math.floor(r() * APPS.length)]!;
    const spec: Record<string, unknown> = {
      nodeName: `node-${Math.floor(r() * NODES)}`,
      containers: [{ name: 'c', image: 'nginx:1.27', resources: { requests: { cpu: `${100 + Math.floor(r() * 400)}m`, memory: `${128 + Math.floor(r() * 512)}Mi` } }, ...(r() < 0.1 ? { ports: [{ containerPort: 80, hostPort: 8080 }] } : {}) }],
      priority: Math.floor(r() * 3) * 100,
    };
    if (r() < 0.25) spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(app, 'kubernetes.io/hostname')] } };
    placed.push(pod(`placed-${i}`, r() < 0.8 ? 'default' : 'team', { app }, spec));
  }
  return { nodes, placed, namespaces: { default: { 'kubernetes.io/metadata.name': 'default' }, team: { 'kubernetes.io/metadata.name': 'team', tier: 'gold' } } };
}

export function generateIncomingPods(seed: number): Pod[] {
  const r = rng(seed * 7 + 3);
  const out: Pod[] = [];
  const variants: ((i: number) => Record<string, unknown>)[] = [
    () => ({}),
    () => ({ containers: [{ name: 'c', image: 'nginx:1.27', resources: { requests: { cpu: `${Math.floor(r() * 3000)}m`, memory: `${Math.floor(r() * 8)}Gi` } } }] }),
    () => ({ containers: [{ name: 'c', image: 'busybox', resources: { requests: { 'example.com/gpu': 1, 'ephemeral-storage': '1Gi' } } }] }),
    () => ({ tolerations: [{ key: 'dedicated', operator: 'Exists' }, { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
    () => ({ nodeSelector: { disk: 'ssd' } }),
    () => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a', 'zone-b'] }] }] }, preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }] } } }),
    () => ({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'kubernetes.io/hostname')] } } }),
    () => ({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', 'topology.kubernetes.io/zone')], preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('cache', 'rack') }] } } }),
    () => ({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }, { maxSkew: 2, topologyKey: 'rack', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } } }] }),
    () => ({ containers: [{ name: 'c', image: 'nginx:1.27', ports: [{ containerPort: 80, hostPort: 8080 }] }] }),
    () => ({ nodeName: 'node-3' }),
    () => ({ priority: 1000, preemptionPolicy: 'PreemptLowerPriority', containers: [{ name: 'c', image: 'nginx:1.27', resources: { requests: { cpu: '6' } } }] }),
    () => ({ schedulingGates: [{ name: 'example.com/wait' }] }),
  ];
  for (let round = 0; round < 3; round++) {
    variants.forEach((v, k) => {
      const app = APPS[Math.floor(r() * APPS.length)]!;
      out.push(pod(`incoming-${round}-${k}`, r() < 0.85 ? 'default' : 'team', { app }, v(k)));
    });
  }
  return out;
}
