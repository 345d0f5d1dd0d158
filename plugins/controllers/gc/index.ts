// The garbage collector plugin.
import type { ControllerOptions } from '../../../kernel/controller/controller.js';
import type { PluginManifest } from '../../../kernel/plugin/types.js';
import { controllerSetup } from '../setup.js';
import { GarbageCollector } from './collector.js';

const manifest: PluginManifest<ControllerOptions> = {
  name: 'garbage-collector',
  kind: 'Controller',
  version: '0.1.0',
  kernelApi: '1.0',
  setup: controllerSetup({}, 5),
  plugin: GarbageCollector,
};

export default manifest;
