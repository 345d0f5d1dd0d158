// The node lifecycle controller plugin.
import type { PluginManifest } from '../../../kernel/plugin/types.js';
import { controllerSetup } from '../setup.js';
import { NodeLifecycleController, type NodeLifecycleOptions } from './controller.js';

const manifest: PluginManifest<NodeLifecycleOptions> = {
  name: 'node-lifecycle-controller',
  kind: 'Controller',
  version: '0.1.0',
  kernelApi: '1.0',
  setup: controllerSetup({ gracePeriodSeconds: 40, defaultTolerationSeconds: 300, evictionsPerSecond: 0.1 }, 1),
  plugin: NodeLifecycleController,
};

export default manifest;
