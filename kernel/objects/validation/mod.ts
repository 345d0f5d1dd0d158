// Admission for the built-in types: upstream defaulting, then validation (create and update rules).
// Every write, from the API server or a plugin's store client, goes through createAdmission().
import type { Admission, AdmissionOperation } from '../admission.js';
import { apiVersionOf, type ResourceRegistry } from '../registry.js';
import { errors } from '../status.js';
import type { KubeObject, ResourceKey } from '../types.js';
import { defaultHorizontalPodAutoscaler, validateHorizontalPodAutoscaler } from './autoscaling.js';
import * as core from './core.js';
import { FieldErrors, GoLiteral, goValue, isObject, type Loose } from './field-errors.js';
import { validateObjectMeta, type NameCheck } from './meta.js';
import { dns1035Label, dns1123Label, dns1123Subdomain, pathSegmentName } from './names.js';
import { defaultPod } from './pod-defaults.js';
import { validatePodSpec, validatePodUpdate } from './pods.js';
import { defaultPodDisruptionBudget, validatePodDisruptionBudget } from './policy.js';
import { defaultService, validateService, validateServiceUpdate } from './services.js';
import * as workloads from './workloads.js';

export { canonicalQuantity, parseQuantity, tryParseQuantity, QuantityError } from './quantity.js';

interface TypeRules {
  name?: NameCheck;
  defaults?(obj: Loose, old: Loose | undefined): void;
  validate?(obj: Loose, errs: FieldErrors): void;
  validateUpdate?(obj: Loose, old: Loose, errs: FieldErrors): void;
}

/** CronJob names leave room for the 11-character suffix of the jobs they create. */
const cronJobName: NameCheck = (name) => [...dns1123Subdomain(name), ...(name.length > 52 ? ['must be no more than 52 characters'] : [])];

/** Keyed by `<group>/<resource>`. */
const RULES: Record<string, TypeRules> = {
  '/namespaces': { name: dns1123Label, defaults: core.defaultNamespace },
  '/pods': {
    defaults: defaultPod,
    validate: (obj, errs) => validatePodSpec(obj.spec, 'spec', errs),
    validateUpdate: validatePodUpdate,
  },
  '/services': { name: dns1035Label, defaults: defaultService, validate: validateService, validateUpdate: validateServiceUpdate },
  '/configmaps': { validate: core.validateConfigMap, validateUpdate: core.validateConfigMapUpdate },
  '/secrets': { defaults: core.defaultSecret, validate: core.validateSecret, validateUpdate: core.validateSecretUpdate },
  '/persistentvolumes': { defaults: core.defaultPersistentVolume, validate: core.validatePersistentVolume, validateUpdate: core.validatePersistentVolumeUpdate },
  '/persistentvolumeclaims': {
    defaults: core.defaultPersistentVolumeClaim,
    validate: core.validatePersistentVolumeClaim,
    validateUpdate: core.validatePersistentVolumeClaimUpdate,
  },
  '/nodes': { defaults: core.defaultNode, validate: core.validateNode },
  '/events': { validate: core.validateEvent },
  'apps/deployments': { defaults: workloads.defaultDeployment, validate: workloads.validateDeployment, validateUpdate: workloads.validateSelectorUpdate },
  'apps/replicasets': { defaults: workloads.defaultReplicaSet, validate: workloads.validateReplicaSet, validateUpdate: workloads.validateSelectorUpdate },
  'apps/daemonsets': { defaults: workloads.defaultDaemonSet, validate: workloads.validateDaemonSet, validateUpdate: workloads.validateSelectorUpdate },
  'apps/statefulsets': { defaults: workloads.defaultStatefulSet, validate: workloads.validateStatefulSet, validateUpdate: workloads.validateSelectorUpdate },
  'batch/jobs': { defaults: workloads.defaultJob, validate: workloads.validateJob, validateUpdate: workloads.validateJobUpdate },
  'batch/cronjobs': { name: cronJobName, defaults: workloads.defaultCronJob, validate: workloads.validateCronJob },
  'autoscaling/horizontalpodautoscalers': { defaults: defaultHorizontalPodAutoscaler, validate: validateHorizontalPodAutoscaler },
  'policy/poddisruptionbudgets': { defaults: defaultPodDisruptionBudget, validate: validatePodDisruptionBudget },
  'rbac.authorization.k8s.io/roles': { name: pathSegmentName },
  'rbac.authorization.k8s.io/rolebindings': { name: pathSegmentName, validateUpdate: immutableRoleRef },
  'rbac.authorization.k8s.io/clusterroles': { name: pathSegmentName },
  'rbac.authorization.k8s.io/clusterrolebindings': { name: pathSegmentName, validateUpdate: immutableRoleRef },
};

function immutableRoleRef(obj: Loose, old: Loose, errs: FieldErrors): void {
  const a = obj.roleRef ?? {};
  const b = old.roleRef ?? {};
  if (a.apiGroup !== b.apiGroup || a.kind !== b.kind || a.name !== b.name) {
    const literal = `rbac.RoleRef{APIGroup:${goValue(String(a.apiGroup ?? ''))}, Kind:${goValue(String(a.kind ?? ''))}, Name:${goValue(String(a.name ?? ''))}}`;
    errs.invalid('roleRef', new GoLiteral(literal), 'cannot change roleRef');
  }
}

export function createAdmission(registry: ResourceRegistry): Admission {
  return {
    admit(res: ResourceKey, obj: KubeObject, old: KubeObject | undefined, op: AdmissionOperation, subresource?: string): KubeObject {
      const rt = registry.byResource(res.group, res.resource);
      if (!rt) return obj;
      const rules = RULES[`${rt.group}/${rt.resource}`] ?? {};
      // The store hands over its private copy of the request (Admission contract): default in place.
      const out: Loose = obj;
      if (!isObject(out.metadata)) out.metadata = {};
      out.apiVersion ??= apiVersionOf(rt);
      out.kind ??= rt.kind;
      // Cluster-scoped objects carry no namespace, whatever the client sent.
      if (!rt.namespaced) delete out.metadata.namespace;
      // pods/binding: upstream's BindingREST updates the stored pod directly (no pod update
      // strategy); bindPodToNode has checked uid, deletion and nodeName before.
      if (subresource === 'binding' && op === 'UPDATE' && rt.resource === 'pods' && !rt.group) return out as KubeObject;
      const previous = op === 'UPDATE' ? old : undefined;
      rules.defaults?.(out, previous);
      const errs = new FieldErrors();
      validateObjectMeta(out.metadata, { namespaced: rt.namespaced, nameCheck: rules.name ?? dns1123Subdomain }, errs);
      rules.validate?.(out, errs);
      if (previous) rules.validateUpdate?.(out, previous, errs);
      if (!errs.empty) throw errors.invalid(rt.kind, String(out.metadata.name ?? out.metadata.generateName ?? ''), errs.causes, rt.group);
      return out as KubeObject;
    },
  };
}
