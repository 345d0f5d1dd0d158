// Scaling behavior: the stabilization windows and rate policies of autoscaling/v2
// spec.behavior, as upstream's normalizeDesiredReplicasWithBehaviors. Recommendations and past
// scale events live in memory per HPA, as in kube-controller-manager (a restart forgets them).
import { defaultScaleDown, defaultScaleUp, filledRules, type HorizontalPodAutoscaler, type HpaScalingRules } from '../../../kernel/objects/hpa.js';

export interface TimedReplicas {
  replicas: number;
  at: number;
}

/** What one HPA remembers between syncs. */
export interface ScalingHistory {
  recommendations: TimedReplicas[];
  /** Replicas added (scale up) or removed (scale down) by each rescale, with its time. */
  scaleUps: TimedReplicas[];
  scaleDowns: TimedReplicas[];
}

export const emptyHistory = (): ScalingHistory => ({ recommendations: [], scaleUps: [], scaleDowns: [] });

export interface Normalized {
  replicas: number;
  /** AbleToScale reason/message when a window held the recommendation back, else ReadyForNewScale. */
  ableReason: string;
  ableMessage: string;
  /** ScalingLimited: true with the reason when a rate or min/max bound changed the count. */
  limited: boolean;
  limitReason: string;
  limitMessage: string;
}

function rulesOf(hpa: HorizontalPodAutoscaler): { up: Required<HpaScalingRules>; down: Required<HpaScalingRules> } {
  // No behavior: the defaults (upstream applies an older equivalent, max(2x, 4) up and a 300 s window down).
  return { up: filledRules(hpa.spec.behavior?.scaleUp, defaultScaleUp()), down: filledRules(hpa.spec.behavior?.scaleDown, defaultScaleDown()) };
}

function changedWithin(events: TimedReplicas[], periodSeconds: number, now: number): number {
  return events.filter((e) => e.at > now - periodSeconds * 1000).reduce((n, e) => n + e.replicas, 0);
}

/** Upstream calculateScaleUpLimitWithScalingRules. */
export function scaleUpLimit(current: number, events: TimedReplicas[], rules: Required<HpaScalingRules>, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const proposals = rules.policies.map((p) => {
    const start = current - changedWithin(events, p.periodSeconds, now);
    return p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
  });
  return rules.selectPolicy === 'Min' ? Math.min(...proposals) : Math.max(...proposals);
}

/** Upstream calculateScaleDownLimitWithBehaviors. */
export function scaleDownLimit(current: number, events: TimedReplicas[], rules: Required<HpaScalingRules>, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const proposals = rules.policies.map((p) => {
    const start = current + changedWithin(events, p.periodSeconds, now);
    return p.type === 'Pods' ? start - p.value : Math.floor(start * (1 - p.value / 100));
  });
  return rules.selectPolicy === 'Min' ? Math.max(...proposals) : Math.min(...proposals);
}

/**
 * The replica count to set, given the metrics' proposal (before min/max), the current count and
 * the history; records the proposal in the history.
 */
export function normalize(hpa: HorizontalPodAutoscaler, history: ScalingHistory, current: number, proposed: number, now: number): Normalized {
  const { up, down } = rulesOf(hpa);
  const min = hpa.spec.minReplicas ?? 1;
  const max = hpa.spec.maxReplicas;

  // Stabilization: the lowest proposal of the scale-up window and the highest of the scale-down one.
  let upRecommendation = proposed;
  let downRecommendation = proposed;
  for (const r of history.recommendations) {
    if (r.at > now - up.stabilizationWindowSeconds * 1000) upRecommendation = Math.min(upRecommendation, r.replicas);
    if (r.at > now - down.stabilizationWindowSeconds * 1000) downRecommendation = Math.max(downRecommendation, r.replicas);
  }
  const longest = Math.max(up.stabilizationWindowSeconds, down.stabilizationWindowSeconds) * 1000;
  history.recommendations = [...history.recommendations.filter((r) => r.at > now - longest), { replicas: proposed, at: now }];
  let stabilized = current;
  if (stabilized < upRecommendation) stabilized = upRecommendation;
  if (stabilized > downRecommendation) stabilized = downRecommendation;
  let ableReason = 'ReadyForNewScale';
  let ableMessage = 'recommended size matches current size';
  if (stabilized !== proposed) {
    [ableReason, ableMessage] = proposed < stabilized
      ? ['ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation']
      : ['ScaleUpStabilized', 'recent recommendations were lower than current one, applying the lowest recent recommendation'];
  }

  // Rate policies and min/max.
  let replicas = stabilized;
  let limitReason = 'DesiredWithinRange';
  let limitMessage = 'the desired count is within the acceptable range';
  if (stabilized > current) {
    const limit = Math.max(current, scaleUpLimit(current, history.scaleUps, up, now));
    if (limit < max && replicas > limit) [replicas, limitReason, limitMessage] = [limit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate'];
    else if (replicas > max) [replicas, limitReason, limitMessage] = [max, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
  } else if (stabilized < current) {
    const limit = Math.min(current, scaleDownLimit(current, history.scaleDowns, down, now));
    if (limit > min && replicas < limit) [replicas, limitReason, limitMessage] = [limit, 'ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate'];
    else if (replicas < min) [replicas, limitReason, limitMessage] = [min, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
  }
  if (replicas > max) [replicas, limitReason, limitMessage] = [max, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
  if (replicas < min) [replicas, limitReason, limitMessage] = [min, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
  return { replicas, ableReason, ableMessage, limited: limitReason !== 'DesiredWithinRange', limitReason, limitMessage };
}

/** Remembers a rescale for the rate policies; events older than the longest period are dropped. */
export function recordRescale(hpa: HorizontalPodAutoscaler, history: ScalingHistory, from: number, to: number, now: number): void {
  const { up, down } = rulesOf(hpa);
  const keep = (events: TimedReplicas[], rules: Required<HpaScalingRules>) => {
    const longest = Math.max(...rules.policies.map((p) => p.periodSeconds)) * 1000;
    return events.filter((e) => e.at > now - longest);
  };
  history.scaleUps = keep(history.scaleUps, up);
  history.scaleDowns = keep(history.scaleDowns, down);
  if (to > from) history.scaleUps.push({ replicas: to - from, at: now });
  else if (to < from) history.scaleDowns.push({ replicas: from - to, at: now });
}
