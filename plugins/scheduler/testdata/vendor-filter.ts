// An out-of-tree plugin as a vendor ships it: a module whose default export is a PluginFactory.
// It rejects nodes labelled `vendor.example.com/blocked=true` (used by scheduler.test.ts).
import { SUCCESS, status, type FilterPlugin, type PluginFactory } from '../framework/interfaces.js';

interface VendorArgs {
  label: string;
}

const factory: PluginFactory<VendorArgs> = {
  name: 'VendorBlocklist',
  validate(args: unknown): VendorArgs {
    if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) throw new Error('VendorBlocklistArgs: must be an object');
    const a = (args ?? {}) as Partial<VendorArgs>;
    if (a.label !== undefined && typeof a.label !== 'string') throw new Error('VendorBlocklistArgs.label: must be a string');
    return { label: a.label ?? 'vendor.example.com/blocked' };
  },
  create: (args): FilterPlugin => ({
    name: 'VendorBlocklist',
    filter: (_state, _pod, node) => (node.node.metadata.labels?.[args.label] === 'true' ? status('Unschedulable', 'node(s) are blocked by the vendor') : SUCCESS),
  }),
};

export default factory;
