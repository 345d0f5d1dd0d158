// The namespace controller plugin.
import type { PluginManifest } from '../../../kernel/plugin/types.js';
import { controllerSetup } from '../setup.js';
import { NamespaceController, type NamespaceOptions } from './controller.js';

const manifest: PluginManifest<NamespaceOptions> = {
  name: 'namespace-controller',
  kind: 'Controller',
  version: '0.1.0',
  kernelApi: '1.0',
  setup: controllerSetup({ recheckMs: 1000 }, 2),
  plugin: NamespaceController,
};

export default manifest;
