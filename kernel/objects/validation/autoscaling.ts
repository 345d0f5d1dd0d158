// autoscaling/v2 HorizontalPodAutoscaler: defaulting (SetDefaults_HorizontalPodAutoscaler) and
// validation in upstream's words and field paths (ValidateHorizontalPodAutoscalerSpec).
import { defaultScaleDown, defaultScaleUp, filledRules } from '../hpa.js';
import { FieldErrors, isInteger, isObject, type Loose } from './field-errors.js';
import { pathSegmentName } from './names.js';
import { tryParseQuantity } from './quantity.js';

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const SELECT_POLICIES = ['Disabled', 'Max', 'Min'];
const POLICY_TYPES = ['Percent', 'Pods'];
const MAX_WINDOW_SECONDS = 3600;
const MAX_PERIOD_SECONDS = 1800;

/** minReplicas 1, a cpu 80% metric when none is given, behavior rules filled when behavior is set; create clears status. */
export function defaultHorizontalPodAutoscaler(obj: Loose, old: Loose | undefined): void {
  if (old === undefined) delete obj.status;
  const spec = isObject(obj.spec) ? obj.spec : (obj.spec = {});
  if (spec.minReplicas === undefined || spec.minReplicas === null) spec.minReplicas = 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  if (isObject(spec.behavior)) {
    spec.behavior.scaleUp = filledRules(spec.behavior.scaleUp, defaultScaleUp());
    spec.behavior.scaleDown = filledRules(spec.behavior.scaleDown, defaultScaleDown());
  }
}

function validateTarget(target: Loose, path: string, errs: FieldErrors): void {
  if (!isObject(target)) return errs.required(path, '');
  if (!target.type) errs.required(`${path}.type`, 'must specify a metric target type');
  else if (!['Utilization', 'Value', 'AverageValue'].includes(target.type)) errs.invalid(`${path}.type`, target.type, 'must be either Utilization, Value, or AverageValue');
  for (const key of ['value', 'averageValue']) {
    if (target[key] === undefined || target[key] === null) continue;
    const q = tryParseQuantity(target[key]);
    if (q === undefined || q <= 0) errs.invalid(`${path}.${key}`, target[key], 'must be positive');
  }
  const u = target.averageUtilization;
  if (u !== undefined && u !== null && (!isInteger(u) || u < 1)) errs.invalid(`${path}.averageUtilization`, u, 'must be greater than 0');
}

function validateResourceSource(src: Loose, path: string, errs: FieldErrors): void {
  if (!src.name) errs.required(`${path}.name`, 'must specify a resource name');
  validateTarget(src.target, `${path}.target`, errs);
  const t = isObject(src.target) ? src.target : {};
  const has = (v: unknown) => v !== undefined && v !== null;
  if (!has(t.averageUtilization) && !has(t.averageValue)) errs.required(`${path}.target.averageUtilization`, 'must set either a target raw value or a target utilization');
  if (has(t.averageUtilization) && has(t.averageValue)) errs.invalid(`${path}.target.averageValue`, t.averageValue, 'may not set both a target raw value and a target utilization');
}

function validateMetric(metric: Loose, path: string, errs: FieldErrors): void {
  if (!isObject(metric)) return errs.invalid(path, metric, 'must be an object');
  if (!metric.type) return errs.required(`${path}.type`, 'must specify a metric source type');
  if (!METRIC_TYPES.includes(metric.type)) return errs.notSupported(`${path}.type`, metric.type, METRIC_TYPES);
  const field = metric.type.charAt(0).toLowerCase() + metric.type.slice(1);
  if (!isObject(metric[field])) return errs.required(`${path}.${field}`, `must populate information for the given metric source`);
  if (metric.type === 'Resource') validateResourceSource(metric.resource, `${path}.resource`, errs);
  else if (metric.type === 'ContainerResource') {
    validateResourceSource(metric.containerResource, `${path}.containerResource`, errs);
    if (!metric.containerResource.container) errs.required(`${path}.containerResource.container`, 'must specify a container');
  }
}

function validateRules(rules: Loose, path: string, errs: FieldErrors): void {
  if (!isObject(rules)) return;
  const w = rules.stabilizationWindowSeconds;
  if (w !== undefined && w !== null) {
    if (!isInteger(w) || w < 0) errs.invalid(`${path}.stabilizationWindowSeconds`, w, 'must be greater than or equal to zero');
    else if (w > MAX_WINDOW_SECONDS) errs.invalid(`${path}.stabilizationWindowSeconds`, w, `must be less than or equal to ${MAX_WINDOW_SECONDS}`);
  }
  if (rules.selectPolicy !== undefined && !SELECT_POLICIES.includes(rules.selectPolicy)) errs.notSupported(`${path}.selectPolicy`, rules.selectPolicy, SELECT_POLICIES);
  const policies: Loose[] = Array.isArray(rules.policies) ? rules.policies : [];
  if (Array.isArray(rules.policies) && policies.length === 0) errs.required(`${path}.policies`, 'must specify at least one Policy');
  policies.forEach((p, i) => {
    const at = `${path}.policies[${i}]`;
    if (!POLICY_TYPES.includes(p?.type)) errs.notSupported(`${at}.type`, p?.type, POLICY_TYPES);
    if (!isInteger(p?.value) || p.value <= 0) errs.invalid(`${at}.value`, p?.value, 'must be greater than zero');
    if (!isInteger(p?.periodSeconds) || p.periodSeconds <= 0) errs.invalid(`${at}.periodSeconds`, p?.periodSeconds, 'must be greater than zero');
    else if (p.periodSeconds > MAX_PERIOD_SECONDS) errs.invalid(`${at}.periodSeconds`, p.periodSeconds, `must be less than or equal to ${MAX_PERIOD_SECONDS}`);
  });
}

export function validateHorizontalPodAutoscaler(obj: Loose, errs: FieldErrors): void {
  const spec: Loose = isObject(obj.spec) ? obj.spec : {};
  const min = spec.minReplicas;
  if (min !== undefined && min !== null && (!isInteger(min) || min < 1)) errs.invalid('spec.minReplicas', min, 'must be greater than or equal to 1');
  const max = spec.maxReplicas;
  if (!isInteger(max) || max < 1) errs.invalid('spec.maxReplicas', max ?? 0, 'must be greater than 0');
  else if (isInteger(min) && min > max) errs.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`');
  const ref: Loose = isObject(spec.scaleTargetRef) ? spec.scaleTargetRef : {};
  if (!ref.kind) errs.required('spec.scaleTargetRef.kind', '');
  else errs.invalidEach('spec.scaleTargetRef.kind', ref.kind, pathSegmentName(ref.kind));
  if (!ref.name) errs.required('spec.scaleTargetRef.name', '');
  else errs.invalidEach('spec.scaleTargetRef.name', ref.name, pathSegmentName(ref.name));
  (Array.isArray(spec.metrics) ? spec.metrics : []).forEach((m: Loose, i: number) => validateMetric(m, `spec.metrics[${i}]`, errs));
  if (isObject(spec.behavior)) {
    validateRules(spec.behavior.scaleUp, 'spec.behavior.scaleUp', errs);
    validateRules(spec.behavior.scaleDown, 'spec.behavior.scaleDown', errs);
  }
}
