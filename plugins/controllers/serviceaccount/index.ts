// The ServiceAccount controller plugin.
import type { ControllerOptions } from '../../../kernel/controller/controller.js';
import type { PluginManifest } from '../../../kernel/plugin/types.js';
import { controllerSetup } from '../setup.js';
import { ServiceAccountController } from './controller.js';

const manifest: PluginManifest<ControllerOptions> = {
  name: 'serviceaccount-controller',
  kind: 'Controller',
  version: '0.1.0',
  kernelApi: '1.0',
  setup: controllerSetup({}, 1),
  plugin: ServiceAccountController,
};

export default manifest;
