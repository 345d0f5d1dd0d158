// Printer for autoscaling/v2 HorizontalPodAutoscalers (`kubectl get hpa`), columns and TARGETS
// text as upstream's printHorizontalPodAutoscaler / formatHPAMetrics.
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from '../../objects/hpa.js';
import { simplePrinter } from './core.js';
import { col } from './types.js';

const UNKNOWN = '<unknown>';

/** One metric as `cpu: 50%/80%` (utilization) or `memory: 10Mi/64Mi` (average value). */
function formatMetric(spec: MetricSpec, statuses: MetricStatus[]): string {
  const source = spec.type === 'Resource' ? spec.resource : spec.type === 'ContainerResource' ? spec.containerResource : undefined;
  if (!source) return `${UNKNOWN} (${spec.type})`;
  const current = statuses.find((s) => s.type === spec.type && s.resource?.name === source.name)?.resource?.current;
  const target = source.target;
  if (target.averageUtilization !== undefined && target.averageUtilization !== null) {
    const now = current?.averageUtilization !== undefined ? `${current.averageUtilization}%` : UNKNOWN;
    return `${source.name}: ${now}/${target.averageUtilization}%`;
  }
  return `${source.name}: ${current?.averageValue ?? UNKNOWN}/${target.averageValue ?? UNKNOWN}`;
}

export function formatHpaTargets(hpa: HorizontalPodAutoscaler): string {
  const metrics = hpa.spec?.metrics ?? [];
  if (metrics.length === 0) return '<none>';
  const statuses = hpa.status?.currentMetrics ?? [];
  const shown = metrics.slice(0, 2).map((m) => formatMetric(m, statuses));
  const more = metrics.length - shown.length;
  return more > 0 ? `${shown.join(', ')} + ${more} more...` : shown.join(', ');
}

export const horizontalPodAutoscalerPrinter = simplePrinter<HorizontalPodAutoscaler>(
  [
    col('Reference', 'string', 0, 'Reference to the scaled object (kind/name).'),
    col('Targets', 'string', 0, 'Current and target values of the metrics.'),
    col('MinPods', 'string', 0, 'Lower limit for the number of pods.'),
    col('MaxPods', 'integer', 0, 'Upper limit for the number of pods.'),
    col('Replicas', 'integer', 0, 'Current number of replicas of the scaled object.'),
  ],
  (hpa) => [
    `${hpa.spec?.scaleTargetRef?.kind ?? ''}/${hpa.spec?.scaleTargetRef?.name ?? ''}`,
    formatHpaTargets(hpa),
    hpa.spec?.minReplicas === undefined ? '<unset>' : String(hpa.spec.minReplicas),
    hpa.spec?.maxReplicas ?? 0,
    hpa.status?.currentReplicas ?? 0,
  ],
);
