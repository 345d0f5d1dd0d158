// The node IPAM controller plugin.
import type { PluginManifest } from '../../../kernel/plugin/types.js';
import { NodeIpamController } from './controller.js';
import { setup, type NodeIpamOptions } from './setup.js';

const manifest: PluginManifest<NodeIpamOptions> = {
  name: 'node-ipam-controller',
  kind: 'Controller',
  version: '0.1.0',
  kernelApi: '1.0',
  setup,
  plugin: NodeIpamController,
};

export default manifest;
