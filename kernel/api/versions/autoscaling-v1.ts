// autoscaling/v1 HorizontalPodAutoscaler <-> the stored autoscaling/v2 form, as upstream's
// conversion: v1 has only targetCPUUtilizationPercentage; the v2 fields it cannot express travel
// in annotations (`autoscaling.alpha.kubernetes.io/...`), so a read-modify-write through v1 keeps them.
import type { KubeObject } from '../../objects/types.js';

const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const isCpuUtilization = (m: Loose) => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization';

function parseAnnotation(annotations: Record<string, string>, key: string): unknown {
  const text = annotations[key];
  delete annotations[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A v1 body (create/update) as the v2 object the store keeps. */
export function hpaV1ToV2(obj: Loose): KubeObject {
  const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
  const extraMetrics = parseAnnotation(annotations, METRICS_ANNOTATION);
  const behavior = parseAnnotation(annotations, BEHAVIOR_ANNOTATION);
  const conditions = parseAnnotation(annotations, CONDITIONS_ANNOTATION);
  const currentExtra = parseAnnotation(annotations, CURRENT_METRICS_ANNOTATION);
  const spec: Loose = obj.spec ?? {};
  const metrics: Loose[] = [];
  if (spec.targetCPUUtilizationPercentage !== undefined && spec.targetCPUUtilizationPercentage !== null) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
  }
  if (Array.isArray(extraMetrics)) metrics.push(...extraMetrics.filter((m) => !isCpuUtilization(m)));
  const v2Spec: Loose = { scaleTargetRef: spec.scaleTargetRef, maxReplicas: spec.maxReplicas };
  if (spec.minReplicas !== undefined) v2Spec.minReplicas = spec.minReplicas;
  if (metrics.length > 0) v2Spec.metrics = metrics;
  if (behavior && typeof behavior === 'object') v2Spec.behavior = behavior;
  const metadata = { ...(obj.metadata ?? {}) };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  const out: Loose = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata, spec: v2Spec };
  const status: Loose | undefined = obj.status;
  if (status && typeof status === 'object') {
    const v2Status: Loose = { currentReplicas: status.currentReplicas ?? 0, desiredReplicas: status.desiredReplicas ?? 0 };
    for (const k of ['observedGeneration', 'lastScaleTime']) if (status[k] !== undefined) v2Status[k] = status[k];
    const current: Loose[] = [];
    if (status.currentCPUUtilizationPercentage !== undefined && status.currentCPUUtilizationPercentage !== null) {
      current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } });
    }
    if (Array.isArray(currentExtra)) current.push(...currentExtra);
    if (current.length > 0) v2Status.currentMetrics = current;
    if (Array.isArray(conditions)) v2Status.conditions = conditions;
    out.status = v2Status;
  }
  return out as KubeObject;
}

/** A stored v2 object as autoscaling/v1 shows it. */
export function hpaV2ToV1(obj: Loose): KubeObject {
  const spec: Loose = obj.spec ?? {};
  const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
  const metrics: Loose[] = Array.isArray(spec.metrics) ? spec.metrics : [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length > 0) annotations[METRICS_ANNOTATION] = JSON.stringify(others);
  if (spec.behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
  const v1Spec: Loose = { scaleTargetRef: spec.scaleTargetRef, maxReplicas: spec.maxReplicas };
  if (spec.minReplicas !== undefined) v1Spec.minReplicas = spec.minReplicas;
  if (cpu) v1Spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
  const status: Loose = obj.status ?? {};
  const v1Status: Loose = { currentReplicas: status.currentReplicas ?? 0, desiredReplicas: status.desiredReplicas ?? 0 };
  for (const k of ['observedGeneration', 'lastScaleTime']) if (status[k] !== undefined) v1Status[k] = status[k];
  const currentMetrics: Loose[] = Array.isArray(status.currentMetrics) ? status.currentMetrics : [];
  const currentCpu = currentMetrics.find((m) => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.current?.averageUtilization !== undefined);
  if (currentCpu) v1Status.currentCPUUtilizationPercentage = currentCpu.resource.current.averageUtilization;
  const currentOthers = currentMetrics.filter((m) => m !== currentCpu);
  if (currentOthers.length > 0) annotations[CURRENT_METRICS_ANNOTATION] = JSON.stringify(currentOthers);
  if (Array.isArray(status.conditions) && status.conditions.length > 0) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(status.conditions);
  const metadata = { ...(obj.metadata ?? {}) };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  return { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata, spec: v1Spec, status: v1Status } as KubeObject;
}
