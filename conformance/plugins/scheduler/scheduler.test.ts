// Runs the scheduler plugin contract suite against every plugin Kite ships and against the
// out-of-tree example plugin in plugins/scheduler/testdata: all of them passing proves the suite.
import t from 'tap';
import { basicPluginFactories } from '../../../plugins/scheduler/plugins/registry-basic.js';
import { advancedPluginFactories } from '../../../plugins/scheduler/plugins/registry-advanced.js';
import vendorFilter from '../../../plugins/scheduler/testdata/vendor-filter.js';
import { runSchedulerPluginConformance } from './suite.js';

for (const factory of [...basicPluginFactories, ...advancedPluginFactories]) {
  await t.test(factory.name, (t) => runSchedulerPluginConformance(t, { factory }));
}

await t.test('VendorBlocklist (an out-of-tree plugin)', (t) => runSchedulerPluginConformance(t, {
  factory: vendorFilter,
  args: { label: 'rack' },
  nodes: [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'blocked', labels: { rack: 'true' } }, spec: {}, status: { allocatable: { cpu: '4', memory: '8Gi', pods: 10 } } }],
}));
