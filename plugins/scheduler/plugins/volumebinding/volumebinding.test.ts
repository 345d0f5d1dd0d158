// VolumeBinding: claim checks at PreFilter, PV node affinity at Filter, Reserve/PreBind no-ops for
// bound claims.
import t from 'tap';
import type { KubeObject } from '../../../../kernel/objects/types.js';
import { CycleState, type Pod } from '../../framework/interfaces.js';
import { newPodInfo } from '../../framework/podinfo.js';
import { FakeHandle, filterAll, makeCluster, makePod } from '../testing.js';
import { ERR_REASON_BIND_CONFLICT, ERR_REASON_NODE_CONFLICT, ERR_REASON_PV_NOT_EXIST, ERR_REASON_UNBOUND_IMMEDIATE, VolumeBinding, volumeBindingFactory } from './index.js';

const nodes = [{ name: 'n1', labels: { zone: 'z1' } }, { name: 'n2', labels: { zone: 'z2' } }];
const withClaim = (claim: string) => makePod('p', { spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] } });
const pvc = (name: string, extra: { volumeName?: string; phase?: string; storageClassName?: string; deleting?: boolean } = {}): KubeObject => ({
  metadata: { name, namespace: 'default', ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  spec: { ...(extra.volumeName ? { volumeName: extra.volumeName } : {}), ...(extra.storageClassName ? { storageClassName: extra.storageClassName } : {}) },
  status: { phase: extra.phase ?? 'Pending' },
});
const pv = (name: string, zone?: string): KubeObject => ({
  metadata: { name },
  spec: zone ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: [zone] }] }] } } } : {},
});
const classes = [
  { metadata: { name: 'late' }, volumeBindingMode: 'WaitForFirstConsumer' },
  { metadata: { name: 'now' }, volumeBindingMode: 'Immediate' },
];

t.test('Filter', async (t) => {
  const cases: { name: string; pod: Pod; pvcs: KubeObject[]; pvs?: KubeObject[]; want: Record<string, string> }[] = [
    { name: 'no claims: Skip', pod: makePod('p'), pvcs: [], want: { n1: 'Success', n2: 'Success' } },
    { name: 'missing claim', pod: withClaim('data'), pvcs: [], want: { n1: 'UnschedulableAndUnresolvable: persistentvolumeclaim "data" not found', n2: 'UnschedulableAndUnresolvable: persistentvolumeclaim "data" not found' } },
    { name: 'unbound immediate claim', pod: withClaim('data'), pvcs: [pvc('data', { storageClassName: 'now' })], want: { n1: `UnschedulableAndUnresolvable: ${ERR_REASON_UNBOUND_IMMEDIATE}`, n2: `UnschedulableAndUnresolvable: ${ERR_REASON_UNBOUND_IMMEDIATE}` } },
    { name: 'claim being deleted', pod: withClaim('data'), pvcs: [pvc('data', { volumeName: 'v', phase: 'Bound', deleting: true })], want: { n1: 'UnschedulableAndUnresolvable: persistentvolumeclaim "data" is being deleted', n2: 'UnschedulableAndUnresolvable: persistentvolumeclaim "data" is being deleted' } },
    { name: 'lost claim', pod: withClaim('data'), pvcs: [pvc('data', { volumeName: 'v', phase: 'Lost' })], want: { n1: 'UnschedulableAndUnresolvable: persistentvolumeclaim "data" bound to non-existent persistentvolume "v"', n2: 'UnschedulableAndUnresolvable: persistentvolumeclaim "data" bound to non-existent persistentvolume "v"' } },
    { name: 'bound claim, PV without node affinity', pod: withClaim('data'), pvcs: [pvc('data', { volumeName: 'v', phase: 'Bound' })], pvs: [pv('v')], want: { n1: 'Success', n2: 'Success' } },
    { name: 'bound claim, PV pinned to zone z1', pod: withClaim('data'), pvcs: [pvc('data', { volumeName: 'v', phase: 'Bound' })], pvs: [pv('v', 'z1')], want: { n1: 'Success', n2: `UnschedulableAndUnresolvable: ${ERR_REASON_NODE_CONFLICT}` } },
    { name: 'bound claim whose PV is gone', pod: withClaim('data'), pvcs: [pvc('data', { volumeName: 'v', phase: 'Bound' })], want: { n1: `UnschedulableAndUnresolvable: ${ERR_REASON_PV_NOT_EXIST}`, n2: `UnschedulableAndUnresolvable: ${ERR_REASON_PV_NOT_EXIST}` } },
    { name: 'WaitForFirstConsumer claim: delayed binding is not implemented yet', pod: withClaim('data'), pvcs: [pvc('data', { storageClassName: 'late' })], want: { n1: `UnschedulableAndUnresolvable: ${ERR_REASON_BIND_CONFLICT}`, n2: `UnschedulableAndUnresolvable: ${ERR_REASON_BIND_CONFLICT}` } },
  ];
  for (const c of cases) {
    const snap = makeCluster(nodes);
    const handle = new FakeHandle(snap, { objects: { persistentvolumeclaims: c.pvcs, persistentvolumes: c.pvs ?? [], storageclasses: classes as KubeObject[] } });
    t.same(filterAll(new VolumeBinding(volumeBindingFactory.validate(undefined), handle), snap, c.pod), c.want, c.name);
  }
  const snap = makeCluster(nodes);
  t.same(filterAll(new VolumeBinding(volumeBindingFactory.validate(undefined), new FakeHandle(snap)), snap, withClaim('data')), { n1: 'Success', n2: 'Success' }, 'a runtime that does not watch claims: Skip');
});

t.test('Reserve and PreBind pass bound claims through', async (t) => {
  const snap = makeCluster(nodes);
  const handle = new FakeHandle(snap, { objects: { persistentvolumeclaims: [pvc('data', { volumeName: 'v', phase: 'Bound' })], persistentvolumes: [pv('v')] } });
  const vb = new VolumeBinding(volumeBindingFactory.validate({ bindTimeoutSeconds: 30 }), handle);
  const state = new CycleState();
  const info = newPodInfo(withClaim('data'));
  t.equal(vb.preFilter(state, info).status.code, 'Success');
  t.equal(vb.reserve(state).code, 'Success');
  t.equal((await vb.preBind(state)).code, 'Success');
  t.equal((await vb.preBind(new CycleState())).code, 'Success', 'pods without claims');
});

t.test('args', async (t) => {
  t.same(volumeBindingFactory.validate(undefined), { bindTimeoutSeconds: 600 });
  t.throws(() => volumeBindingFactory.validate({ bindTimeoutSeconds: -1 }), /VolumeBindingArgs\.bindTimeoutSeconds: Invalid value: -1: invalid BindTimeoutSeconds, should not be a negative value/);
});

t.test('registry-advanced exports the four factories under upstream names', async (t) => {
  const { advancedPluginFactories } = await import('../registry-advanced.js');
  t.same(advancedPluginFactories.map((f) => f.name), ['PodTopologySpread', 'InterPodAffinity', 'DefaultPreemption', 'VolumeBinding']);
  for (const f of advancedPluginFactories) t.doesNotThrow(() => f.validate(undefined), `${f.name}: defaults validate`);
});
