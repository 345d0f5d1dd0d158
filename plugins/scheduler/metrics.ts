// The scheduler's metrics, with kube-scheduler's names, labels and buckets so existing dashboards
// work. Registered once per registry: two schedulers in one process (tests) share the series.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

function exponential(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

export interface SchedulerMetrics {
  schedulingAttemptDuration: Histogram<'result' | 'profile'>;
  podSchedulingDuration: Histogram<'attempts'>;
  extensionPointDuration: Histogram<'extension_point' | 'status' | 'profile'>;
  pluginExecutionDuration: Histogram<'plugin' | 'extension_point' | 'status'>;
  pendingPods: Gauge<'queue'>;
  scheduleAttempts: Counter<'result' | 'profile'>;
}

function once<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function schedulerMetrics(registry: Registry): SchedulerMetrics {
  const registers = [registry];
  return {
    schedulingAttemptDuration: once(registry, 'scheduler_scheduling_attempt_duration_seconds', () => new Histogram({
      name: 'scheduler_scheduling_attempt_duration_seconds',
      help: 'Scheduling attempt latency in seconds (scheduling algorithm + binding)',
      labelNames: ['result', 'profile'] as const,
      buckets: exponential(0.001, 2, 15),
      registers,
    })),
    podSchedulingDuration: once(registry, 'scheduler_pod_scheduling_duration_seconds', () => new Histogram({
      name: 'scheduler_pod_scheduling_duration_seconds',
      help: 'E2e latency for a pod being scheduled which may include multiple scheduling attempts.',
      labelNames: ['attempts'] as const,
      buckets: exponential(0.01, 2, 20),
      registers,
    })),
    extensionPointDuration: once(registry, 'scheduler_framework_extension_point_duration_seconds', () => new Histogram({
      name: 'scheduler_framework_extension_point_duration_seconds',
      help: 'Latency for running all plugins of a specific extension point.',
      labelNames: ['extension_point', 'status', 'profile'] as const,
      buckets: exponential(0.0001, 2, 12),
      registers,
    })),
    pluginExecutionDuration: once(registry, 'scheduler_plugin_execution_duration_seconds', () => new Histogram({
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
    })),
    scheduleAttempts: once(registry, 'scheduler_schedule_attempts_total', () => new Counter({
      name: 'scheduler_schedule_attempts_total',
      help: 'Number of attempts to schedule pods, by the result. \'unschedulable\' means a pod could not be scheduled, while \'error\' means an internal scheduler problem.',
      labelNames: ['result', 'profile'] as const,
      registers,
    })),
  };
}

/** Upstream samples plugin execution durations in 10% of scheduling cycles. */
export const PLUGIN_METRICS_SAMPLE_PERCENT = 10;
