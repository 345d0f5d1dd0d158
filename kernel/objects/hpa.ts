// autoscaling/v2 HorizontalPodAutoscaler: its shape, upstream's behavior defaults, and the
// condition helper the HPA controller and tests share.
import type { KubeObject, ResourceKey } from './types.js';

export const HORIZONTALPODAUTOSCALERS: ResourceKey = { group: 'autoscaling', resource: 'horizontalpodautoscalers', namespaced: true };

export interface CrossVersionObjectReference {
  kind: string;
  name: string;
  apiVersion?: string;
}

export interface MetricTarget {
  type: 'Utilization' | 'Value' | 'AverageValue';
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}

export interface MetricSpec {
  type: 'Resource' | 'ContainerResource' | 'Pods' | 'Object' | 'External';
  resource?: { name: string; target: MetricTarget };
  containerResource?: { name: string; container: string; target: MetricTarget };
  [other: string]: unknown;
}

export interface HpaScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface HpaScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: HpaScalingPolicy[];
}

export interface MetricStatus {
  type: string;
  resource?: { name: string; current: { averageValue?: string; averageUtilization?: number } };
}

export interface HpaCondition {
  type: 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason: string;
  message: string;
}

export interface HorizontalPodAutoscaler extends KubeObject {
  spec: {
    scaleTargetRef: CrossVersionObjectReference;
    minReplicas?: number;
    maxReplicas: number;
    metrics?: MetricSpec[];
    behavior?: { scaleUp?: HpaScalingRules; scaleDown?: HpaScalingRules };
  };
  status?: {
    observedGeneration?: number;
    lastScaleTime?: string;
    currentReplicas?: number;
    desiredReplicas?: number;
    currentMetrics?: MetricStatus[] | null;
    conditions?: HpaCondition[];
  };
}

/** Upstream GenerateHPAScaleUpRules: no window, the larger of 4 pods or 100% per 15 s. */
export function defaultScaleUp(): Required<HpaScalingRules> {
  return { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] };
}

/** Upstream GenerateHPAScaleDownRules: a 300 s window, 100% per 15 s. */
export function defaultScaleDown(): Required<HpaScalingRules> {
  return { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };
}

/** Rules with every absent field taken from `defaults` (upstream fills them field by field). */
export function filledRules(rules: HpaScalingRules | undefined, defaults: Required<HpaScalingRules>): Required<HpaScalingRules> {
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: rules?.selectPolicy ?? defaults.selectPolicy,
    policies: rules?.policies && rules.policies.length > 0 ? rules.policies : defaults.policies,
  };
}

/** The conditions with `next` set; lastTransitionTime kept while the status does not change. */
export function withHpaCondition(conditions: HpaCondition[] | undefined, next: Omit<HpaCondition, 'lastTransitionTime'>, now: string): HpaCondition[] {
  const old = conditions?.find((c) => c.type === next.type);
  const lastTransitionTime = old && old.status === next.status && old.lastTransitionTime ? old.lastTransitionTime : now;
  return [...(conditions ?? []).filter((c) => c.type !== next.type), { ...next, lastTransitionTime }];
}
