// Deployments, ReplicaSets, DaemonSets, StatefulSets, Jobs and CronJobs: defaults and rules.
import { FieldErrors, GoLiteral, goStringMap, isInteger, isObject, type Loose } from './field-errors.js';
import { goLabelSelector, selectorIsEmpty, selectorMatches, validateLabelSelector } from './meta.js';
import { defaultPodTemplate } from './pod-defaults.js';
import { validatePodTemplate } from './pods.js';
import { NON_NEGATIVE, asArray, child, deepEqual } from './util.js';

function setDefault(obj: Loose, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

// ---- defaults ----

export function defaultDeployment(obj: Loose): void {
  const spec = child(obj, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rolling = child(strategy, 'rollingUpdate');
    setDefault(rolling, 'maxUnavailable', '25%');
    setDefault(rolling, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(spec.template);
}

export function defaultReplicaSet(obj: Loose): void {
  const spec = child(obj, 'spec');
  setDefault(spec, 'replicas', 1);
  defaultPodTemplate(spec.template);
}

export function defaultDaemonSet(obj: Loose): void {
  const spec = child(obj, 'spec');
  const strategy = child(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rolling = child(strategy, 'rollingUpdate');
    setDefault(rolling, 'maxUnavailable', 1);
    setDefault(rolling, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template);
}

export function defaultStatefulSet(obj: Loose): void {
  const spec = child(obj, 'spec');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = child(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') setDefault(child(strategy, 'rollingUpdate'), 'partition', 0);
  setDefault(spec, 'revisionHistoryLimit', 10);
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefault(retention, 'whenDeleted', 'Retain');
  setDefault(retention, 'whenScaled', 'Retain');
  for (const claim of asArray(spec.volumeClaimTemplates)) if (isObject(claim?.spec)) setDefault(claim.spec, 'volumeMode', 'Filesystem');
  defaultPodTemplate(spec.template);
}

/**
 * Job defaults. Unless manualSelector is set, the selector is generated from the job's uid and the
 * template gets the matching labels, as upstream does; without a uid yet only the name labels are set.
 */
export function defaultJobSpec(spec: Loose, meta: Loose): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
  defaultPodTemplate(spec.template);
  if (spec.manualSelector === true || !isObject(spec.template)) return;
  const labels = child(child(spec.template, 'metadata'), 'labels');
  if (meta?.name) {
    setDefault(labels, 'batch.kubernetes.io/job-name', meta.name);
    setDefault(labels, 'job-name', meta.name);
  }
  if (meta?.uid && spec.selector === undefined) {
    setDefault(labels, 'batch.kubernetes.io/controller-uid', meta.uid);
    setDefault(labels, 'controller-uid', meta.uid);
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': meta.uid } };
  }
}

export function defaultJob(obj: Loose): void {
  defaultJobSpec(child(obj, 'spec'), obj.metadata);
}

export function defaultCronJob(obj: Loose): void {
  const spec = child(obj, 'spec');
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  // Job-level defaults (completions, backoffLimit, ...) apply when a job is created from the
  // template, not to the template itself; the pod template is defaulted as everywhere.
  defaultPodTemplate(spec.jobTemplate?.spec?.template);
}

// ---- validation ----

function validateCount(spec: Loose, field: string, path: string, errs: FieldErrors): void {
  const v = spec[field];
  if (v !== undefined && !(isInteger(v) && v >= 0)) errs.invalid(`${path}.${field}`, v, NON_NEGATIVE);
}

/** Selector present, valid, non-empty and matching the template labels. */
function validateSelectorAndTemplate(spec: Loose, kind: string, errs: FieldErrors): void {
  if (spec.selector === undefined || spec.selector === null) errs.required('spec.selector');
  else {
    validateLabelSelector(spec.selector, 'spec.selector', errs);
    if (selectorIsEmpty(spec.selector)) errs.invalid('spec.selector', new GoLiteral(goLabelSelector(spec.selector)), `empty selector is invalid for ${kind}`);
  }
  if (spec.template === undefined || spec.template === null) return errs.required('spec.template');
  const labels = spec.template?.metadata?.labels;
  if (isObject(spec.selector) && !selectorIsEmpty(spec.selector) && !selectorMatches(spec.selector, labels)) {
    errs.invalid('spec.template.metadata.labels', new GoLiteral(goStringMap(labels)), '`selector` does not match template `labels`');
  }
  validatePodTemplate(spec.template, 'spec.template', errs);
}

function requireRestartPolicy(spec: Loose, allowed: string[], errs: FieldErrors, asRequired: boolean): void {
  const policy = spec.template?.spec?.restartPolicy;
  if (policy === undefined || allowed.includes(policy)) return;
  const path = 'spec.template.spec.restartPolicy';
  if (asRequired) errs.required(path, `valid values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  else errs.notSupported(path, policy, allowed);
}

export function validateDeployment(obj: Loose, errs: FieldErrors): void {
  const spec = obj.spec ?? {};
  validateCount(spec, 'replicas', 'spec', errs);
  validateSelectorAndTemplate(spec, 'deployment', errs);
  requireRestartPolicy(spec, ['Always'], errs, false);
  forbidDeadline(spec, errs);
  const strategy = spec.strategy ?? {};
  if (strategy.type !== undefined && !['Recreate', 'RollingUpdate'].includes(strategy.type)) errs.notSupported('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate']);
  if (strategy.type === 'Recreate' && strategy.rollingUpdate) errs.forbidden('spec.strategy.rollingUpdate', 'may not be specified when strategy `type` is \'Recreate\'');
  for (const f of ['revisionHistoryLimit', 'minReadySeconds', 'progressDeadlineSeconds']) validateCount(spec, f, 'spec', errs);
  for (const f of ['maxUnavailable', 'maxSurge']) {
    const v = strategy.rollingUpdate?.[f];
    if (typeof v === 'string' && !/^\d+%$/.test(v)) errs.invalid(`spec.strategy.rollingUpdate.${f}`, v, 'a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')');
    else if (typeof v === 'number' && v < 0) errs.invalid(`spec.strategy.rollingUpdate.${f}`, v, NON_NEGATIVE);
  }
  const ru = strategy.rollingUpdate;
  if (ru && isZero(ru.maxUnavailable) && isZero(ru.maxSurge)) errs.invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0');
}

function isZero(v: unknown): boolean {
  return v === 0 || v === '0%';
}

export function validateReplicaSet(obj: Loose, errs: FieldErrors): void {
  const spec = obj.spec ?? {};
  validateCount(spec, 'replicas', 'spec', errs);
  validateCount(spec, 'minReadySeconds', 'spec', errs);
  validateSelectorAndTemplate(spec, 'replicaset', errs);
  requireRestartPolicy(spec, ['Always'], errs, false);
  forbidDeadline(spec, errs);
}

/** Pods of long-running controllers may not have a deadline. */
function forbidDeadline(spec: Loose, errs: FieldErrors): void {
  if (spec.template?.spec?.activeDeadlineSeconds !== undefined) {
    errs.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicaSet is not Supported');
  }
}

export function validateDaemonSet(obj: Loose, errs: FieldErrors): void {
  const spec = obj.spec ?? {};
  validateSelectorAndTemplate(spec, 'daemonset', errs);
  requireRestartPolicy(spec, ['Always'], errs, false);
}

export function validateStatefulSet(obj: Loose, errs: FieldErrors): void {
  const spec = obj.spec ?? {};
  validateCount(spec, 'replicas', 'spec', errs);
  validateSelectorAndTemplate(spec, 'statefulset', errs);
  requireRestartPolicy(spec, ['Always'], errs, false);
  if (spec.podManagementPolicy !== undefined && !['OrderedReady', 'Parallel'].includes(spec.podManagementPolicy)) {
    errs.notSupported('spec.podManagementPolicy', spec.podManagementPolicy, ['OrderedReady', 'Parallel']);
  }
}

export function validateJob(obj: Loose, errs: FieldErrors): void {
  const spec = obj.spec ?? {};
  for (const f of ['parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished']) validateCount(spec, f, 'spec', errs);
  if (spec.manualSelector === true || spec.selector !== undefined) validateSelectorAndTemplate(spec, 'job', errs);
  else if (!spec.template) errs.required('spec.template');
  else validatePodTemplate(spec.template, 'spec.template', errs);
  requireRestartPolicy(spec, ['OnFailure', 'Never'], errs, true);
  if (spec.completionMode !== undefined && !['NonIndexed', 'Indexed'].includes(spec.completionMode)) errs.notSupported('spec.completionMode', spec.completionMode, ['NonIndexed', 'Indexed']);
}

export function validateCronJob(obj: Loose, errs: FieldErrors): void {
  const spec = obj.spec ?? {};
  if (!spec.schedule) errs.required('spec.schedule');
  else if (String(spec.schedule).trim().split(/\s+/).length !== 5 && !String(spec.schedule).startsWith('@')) {
    errs.invalid('spec.schedule', spec.schedule, `unparseable schedule: expected exactly 5 fields, found ${String(spec.schedule).trim().split(/\s+/).length}: ${spec.schedule}`);
  }
  if (spec.concurrencyPolicy !== undefined && !['Allow', 'Forbid', 'Replace'].includes(spec.concurrencyPolicy)) {
    errs.notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace']);
  }
  const template = spec.jobTemplate?.spec?.template;
  if (!template) return errs.required('spec.jobTemplate.spec.template');
  const sub = new FieldErrors();
  validatePodTemplate(template, 'spec.template', sub);
  const policy = template.spec?.restartPolicy;
  if (policy !== 'OnFailure' && policy !== 'Never') sub.required('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"');
  for (const c of sub.causes) errs.causes.push({ ...c, field: c.field ? `spec.jobTemplate.${c.field}` : c.field });
}

// ---- updates ----

function immutableSelector(obj: Loose, old: Loose, errs: FieldErrors): void {
  if (!deepEqual(obj.spec?.selector, old.spec?.selector)) {
    errs.invalid('spec.selector', new GoLiteral(goLabelSelector(obj.spec?.selector)), 'field is immutable');
  }
}

export function validateSelectorUpdate(obj: Loose, old: Loose, errs: FieldErrors): void {
  immutableSelector(obj, old, errs);
}

export function validateJobUpdate(obj: Loose, old: Loose, errs: FieldErrors): void {
  immutableSelector(obj, old, errs);
  const template = obj.spec?.template;
  const before = old.spec?.template;
  // Suspended jobs may change scheduling directives of the template; everything else is fixed.
  if (!deepEqual(template, before)) errs.invalid('spec.template', new GoLiteral('core.PodTemplateSpec{...}'), 'field is immutable');
  if (!deepEqual(obj.spec?.completions, old.spec?.completions)) errs.invalid('spec.completions', obj.spec?.completions, 'field is immutable');
  if (!deepEqual(obj.spec?.completionMode, old.spec?.completionMode)) errs.invalid('spec.completionMode', obj.spec?.completionMode, 'field is immutable');
}
