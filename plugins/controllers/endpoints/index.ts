// The Endpoints controller plugin.
import type { ControllerOptions } from '../../../kernel/controller/controller.js';
import type { PluginManifest } from '../../../kernel/plugin/types.js';
import { controllerSetup } from '../setup.js';
import { EndpointsController } from './controller.js';

const manifest: PluginManifest<ControllerOptions> = {
  name: 'endpoints-controller',
  kind: 'Controller',
  version: '0.1.0',
  kernelApi: '1.0',
  setup: controllerSetup({}, 5),
  plugin: EndpointsController,
};

export default manifest;
