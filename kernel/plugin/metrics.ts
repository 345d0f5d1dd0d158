// Metrics shared by several owners of one registry (two plugin hosts in a test, two instances of
// one plugin in a process) must be registered once: the first creates, the others reuse it.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type Config<L extends string> = { name: string; help: string; labelNames?: readonly L[] };

function registerOnce<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function counterOn<L extends string>(registry: Registry, config: Config<L>): Counter<L> {
  return registerOnce(registry, config.name, () => new Counter<L>({ ...config, registers: [registry] }));
}

export function gaugeOn<L extends string>(registry: Registry, config: Config<L>): Gauge<L> {
  return registerOnce(registry, config.name, () => new Gauge<L>({ ...config, registers: [registry] }));
}

export function histogramOn<L extends string>(registry: Registry, config: Config<L> & { buckets?: number[] }): Histogram<L> {
  return registerOnce(registry, config.name, () => new Histogram<L>({ ...config, registers: [registry] }));
}

/** The plugin host's own metrics, labelled by plugin entry name. */
export function pluginHostMetrics(registry: Registry) {
  return {
    up: gaugeOn(registry, { name: 'kite_plugin_up', help: '1 when the plugin is running, 0 otherwise', labelNames: ['plugin'] }),
    restarts: counterOn(registry, { name: 'kite_plugin_restarts_total', help: 'Restarts of the plugin after a failure', labelNames: ['plugin'] }),
    startDuration: histogramOn(registry, {
      name: 'kite_plugin_start_duration_seconds',
      help: 'Time from launching the plugin until its start() resolved (including worker/process boot)',
      labelNames: ['plugin'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
  };
}
export type PluginHostMetrics = ReturnType<typeof pluginHostMetrics>;
