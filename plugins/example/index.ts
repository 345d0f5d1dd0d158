// The example plugin's manifest: the smallest complete plugin, used to test the plugin host.
import type { PluginManifest } from '../../kernel/plugin/types.js';
import { EchoPlugin } from './echo.js';
import { setup, type ExampleOptions } from './setup.js';

const manifest: PluginManifest<ExampleOptions> = {
  name: 'example',
  kind: 'Example',
  version: '0.1.0',
  kernelApi: '1.0',
  setup,
  plugin: EchoPlugin,
};

export default manifest;
