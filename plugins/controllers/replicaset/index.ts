// The ReplicaSet controller plugin.
import type { PluginManifest } from '../../../kernel/plugin/types.js';
import { controllerSetup } from '../setup.js';
import { ReplicaSetController, type ReplicaSetOptions } from './controller.js';

const manifest: PluginManifest<ReplicaSetOptions> = {
  name: 'replicaset-controller',
  kind: 'Controller',
  version: '0.1.0',
  kernelApi: '1.0',
  setup: controllerSetup({ burstReplicas: 500 }, 5),
  plugin: ReplicaSetController,
};

export default manifest;
