// The disruption controller plugin (PodDisruptionBudget status).
import type { ControllerOptions } from '../../../kernel/controller/controller.js';
import type { PluginManifest } from '../../../kernel/plugin/types.js';
import { DisruptionController } from './controller.js';
import { disruptionSetup } from './setup.js';

const manifest: PluginManifest<ControllerOptions> = {
  name: 'disruption-controller',
  kind: 'Controller',
  version: '0.1.0',
  kernelApi: '1.0',
  setup: disruptionSetup,
  plugin: DisruptionController,
};

export default manifest;
