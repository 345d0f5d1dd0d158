// The scheduler's metrics, with kube-scheduler's names, labels and buckets so existing dashboards
// work. Registered once per registry: two schedulers in one process (tests) share the series.
import { Gauge, type Registry } from 'prom-client';
import { HotCounter, HotHistogram } from '../../kernel/metrics/hot.js';

function exponential(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

export interface SchedulerMetrics {
  schedulingAttemptDuration: HotHistogram<'result' | 'profile'>;
  podSchedulingDuration: HotHistogram<'attempts'>;
  extensionPointDuration: HotHistogram<'extension_point' | 'status' | 'profile'>;
  pluginExecutionDuration: HotHistogram<'plugin' | 'extension_point' | 'status'>;
  pendingPods: Gauge<'queue'>;
  scheduleAttempts: HotCounter<'result' | 'profile'>;
}

export type PendingCounts = () => { active: number; backoff: number; unschedulable: number; gated: number };
const pendingSources = new WeakMap<object, Set<PendingCounts>>();

/**
 * Makes `counts` part of scheduler_pending_pods, read when the gauge is scraped: setting four
 * labelled gauges on every queue change cost more than the queue operation. Returns the undo.
 */
export function trackPendingPods(gauge: Gauge<'queue'>, counts: PendingCounts): () => void {
  let set = pendingSources.get(gauge);
  if (!set) pendingSources.set(gauge, (set = new Set()));
  set.add(counts);
  return () => set.delete(counts);
}

function once<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function schedulerMetrics(registry: Registry): SchedulerMetrics {
  const registers = [registry];
  return {
    schedulingAttemptDuration: once(registry, 'scheduler_scheduling_attempt_duration_seconds', () => new HotHistogram({
      name: 'scheduler_scheduling_attempt_duration_seconds',
      help: 'Scheduling attempt latency in seconds (scheduling algorithm + binding)',
      labelNames: ['result', 'profile'] as const,
      buckets: exponential(0.001, 2, 15),
      registers,
    })),
    podSchedulingDuration: once(registry, 'scheduler_pod_scheduling_duration_seconds', () => new HotHistogram({
      name: 'scheduler_pod_scheduling_duration_seconds',
      help: 'E2e latency for a pod being scheduled which may include multiple scheduling attempts.',
      labelNames: ['attempts'] as const,
      buckets: exponential(0.01, 2, 20),
      registers,
    })),
    extensionPointDuration: once(registry, 'scheduler_framework_extension_point_duration_seconds', () => new HotHistogram({
      name: 'scheduler_framework_extension_point_duration_seconds',
      help: 'Latency for running all plugins of a specific extension point.',
      labelNames: ['extension_point', 'status', 'profile'] as const,
      buckets: exponential(0.0001, 2, 12),
      registers,
    })),
    pluginExecutionDuration: once(registry, 'scheduler_plugin_execution_duration_seconds', () => new HotHistogram({
      name: 'scheduler_plugin_execution_duration_seconds',
      help: 'Duration for running a plugin at a specific extension point.',
      labelNames: ['plugin', 'extension_point', 'status'] as const,
      buckets: exponential(0.00001, 1.5, 20),
      registers,
    })),
    pendingPods: once(registry, 'scheduler_pending_pods', () => new Gauge({
      name: 'scheduler_pending_pods',
      help: "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.",
      labelNames: ['queue'] as const,
      registers,
      collect() {
        const total = { active: 0, backoff: 0, unschedulable: 0, gated: 0 };
        for (const counts of pendingSources.get(this) ?? []) {
          const c = counts();
          total.active += c.active;
          total.backoff += c.backoff;
          total.unschedulable += c.unschedulable;
          total.gated += c.gated;
        }
        for (const [queue, n] of Object.entries(total)) this.set({ queue }, n);
      },
    })),
    scheduleAttempts: once(registry, 'scheduler_schedule_attempts_total', () => new HotCounter({
      name: 'scheduler_schedule_attempts_total',
      help: 'Number of attempts to schedule pods, by the result. \'unschedulable\' means a pod could not be scheduled, while \'error\' means an internal scheduler problem.',
      labelNames: ['result', 'profile'] as const,
      registers,
    })),
  };
}

/** Upstream samples plugin execution durations in 10% of scheduling cycles. */
export const PLUGIN_METRICS_SAMPLE_PERCENT = 10;
