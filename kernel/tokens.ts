// DI tokens for the kernel services plugins receive. A token and its interface share a name.
import type { Registry } from 'prom-client';
import type { Bus as BusContract } from './bus/types.js';
import type { Logger as LoggerContract } from './log.js';
import type { ObjectStore as ObjectStoreContract } from './store/types.js';
import type { Placement } from './plugin/types.js';

export const ObjectStore = Symbol.for('kite.ObjectStore');
export type ObjectStore = ObjectStoreContract;

export const Bus = Symbol.for('kite.Bus');
export type Bus = BusContract;

export const Logger = Symbol.for('kite.Logger');
export type Logger = LoggerContract;

/** The process's prom-client registry. */
export const MetricsRegistry = Symbol.for('kite.MetricsRegistry');
export type MetricsRegistry = Registry;

/** The validated options of the plugin's configuration entry (what its manifest's setup returned). */
export const PluginOptions = Symbol.for('kite.PluginOptions');
export type PluginOptions = unknown;

/** Facts about where and as what the plugin runs. */
export const PluginContext = Symbol.for('kite.PluginContext');
export interface PluginContext {
  name: string;
  placement: Placement;
  /** The kernel's data directory (plugins keep local state under `<dataDir>/plugins/<name>`). */
  dataDir: string;
  /** NATS server URLs, for plugins that need a connection of their own. */
  natsServers: string[];
  /** Report a failure after start(); the host stops and restarts the plugin with backoff. */
  fail(error: Error): void;
}
