// The Deployment controller plugin.
import type { ControllerOptions } from '../../../kernel/controller/controller.js';
import type { PluginManifest } from '../../../kernel/plugin/types.js';
import { controllerSetup } from '../setup.js';
import { DeploymentController } from './controller.js';

const manifest: PluginManifest<ControllerOptions> = {
  name: 'deployment-controller',
  kind: 'Controller',
  version: '0.1.0',
  kernelApi: '1.0',
  setup: controllerSetup({}, 5),
  plugin: DeploymentController,
};

export default manifest;
