// Store metrics on the process registry. `apiserver_storage_objects` keeps the upstream name so
// existing dashboards show object counts; the rest are Kite's own.
import { Gauge, type Registry } from 'prom-client';
import { HotCounter, HotHistogram } from '../metrics/hot.js';

export interface StoreMetrics {
  operations: HotCounter<'operation' | 'resource' | 'result'>;
  duration: HotHistogram<'operation' | 'resource'>;
  watchers: Gauge<'resource'>;
}

export function createStoreMetrics(registry: Registry, objectCount: () => number, revision: () => number): StoreMetrics {
  const existing = registry.getSingleMetric('kite_store_operations_total');
  if (existing) {
    return {
      operations: existing as unknown as HotCounter<'operation' | 'resource' | 'result'>,
      duration: registry.getSingleMetric('kite_store_operation_duration_seconds') as unknown as HotHistogram<'operation' | 'resource'>,
      watchers: registry.getSingleMetric('kite_store_watchers') as Gauge<'resource'>,
    };
  }
  new Gauge({ name: 'apiserver_storage_objects', help: 'Number of stored objects in the store cache.', registers: [registry], collect() { this.set(objectCount()); } });
  new Gauge({ name: 'kite_store_revision', help: 'Newest KV revision (resourceVersion) applied to the store cache.', registers: [registry], collect() { this.set(revision()); } });
  return {
    operations: new HotCounter({ name: 'kite_store_operations_total', help: 'Store operations by operation, resource and result (ok or Status reason).', labelNames: ['operation', 'resource', 'result'], registers: [registry] }),
    duration: new HotHistogram({
      name: 'kite_store_operation_duration_seconds',
      help: 'Store operation latency.',
      labelNames: ['operation', 'resource'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    watchers: new Gauge({ name: 'kite_store_watchers', help: 'Open store watches by resource.', labelNames: ['resource'], registers: [registry] }),
  };
}
