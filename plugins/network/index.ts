// The network plugin's manifest (kind NetworkPlugin): a CNI host for one node. The node agent loads
// it into its own place, as it does the runtime, and hands it its `network` options.
import type { DependencyContainer } from 'tsyringe';
import type { PluginManifest } from '../../kernel/plugin/types.js';
import { Logger, ObjectStore, PluginOptions } from '../../kernel/tokens.js';
import type { Logger as LoggerType } from '../../kernel/log.js';
import type { ObjectStore as StoreType } from '../../kernel/store/types.js';
import { CniNetwork } from './network.js';
import { setup, type NetworkOptions } from './setup.js';

const manifest: PluginManifest<NetworkOptions> = {
  name: 'network',
  kind: 'NetworkPlugin',
  version: '0.1.0',
  kernelApi: '1.0',
  setup,
  plugin: (container: DependencyContainer) => {
    const options = container.resolve<NetworkOptions>(PluginOptions);
    const store = container.isRegistered(ObjectStore, true) ? container.resolve<StoreType>(ObjectStore) : undefined;
    return new CniNetwork(options, store, container.resolve<LoggerType>(Logger).child({ plugin: 'network' }));
  },
};

export default manifest;
