// ObjectMeta, labels, annotations and label selectors.
import { FieldErrors, GoLiteral, goStringMap, goValue, isObject, type Loose } from './field-errors.js';
import { dns1123Label, labelValue, qualifiedName } from './names.js';

export type NameCheck = (name: string) => string[];

/** Upstream's limit on the total size of all annotations of an object. */
export const TOTAL_ANNOTATION_SIZE = 256 * 1024;

export function validateLabels(labels: unknown, path: string, errs: FieldErrors): void {
  if (labels === undefined || labels === null) return;
  if (!isObject(labels)) return errs.invalid(path, labels, 'must be a map of strings');
  for (const [key, value] of Object.entries(labels)) {
    errs.invalidEach(path, key, qualifiedName(key));
    if (typeof value !== 'string') errs.invalid(path, value, 'must be a string');
    else errs.invalidEach(path, value, labelValue(value));
  }
}

export function validateAnnotations(annotations: unknown, path: string, errs: FieldErrors): void {
  if (annotations === undefined || annotations === null) return;
  if (!isObject(annotations)) return errs.invalid(path, annotations, 'must be a map of strings');
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    errs.invalidEach(path, key, qualifiedName(key.toLowerCase()));
    size += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  }
  if (size > TOTAL_ANNOTATION_SIZE) errs.tooLong(path, TOTAL_ANNOTATION_SIZE);
}

/** generateName is checked as a name without the trailing dash the generator adds before its suffix. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

export interface MetaRules {
  namespaced: boolean;
  nameCheck: NameCheck;
}

export function validateObjectMeta(meta: Loose, rules: MetaRules, errs: FieldErrors): void {
  if (!isObject(meta)) return errs.required('metadata');
  if (meta.name) {
    errs.invalidEach('metadata.name', meta.name, typeof meta.name === 'string' ? rules.nameCheck(meta.name) : ['must be a string']);
  } else if (meta.generateName) {
    errs.invalidEach('metadata.generateName', meta.generateName, rules.nameCheck(maskTrailingDash(String(meta.generateName))));
  } else {
    errs.required('metadata.name', 'name or generateName is required');
  }
  if (rules.namespaced) {
    if (!meta.namespace) errs.required('metadata.namespace');
    else errs.invalidEach('metadata.namespace', meta.namespace, dns1123Label(String(meta.namespace)));
  }
  validateLabels(meta.labels, 'metadata.labels', errs);
  validateAnnotations(meta.annotations, 'metadata.annotations', errs);
  validateOwnerReferences(meta.ownerReferences, errs);
  (Array.isArray(meta.finalizers) ? meta.finalizers : []).forEach((f: unknown, i: number) => {
    errs.invalidEach(`metadata.finalizers[${i}]`, f, qualifiedName(String(f)));
  });
  if (meta.generation !== undefined && (typeof meta.generation !== 'number' || meta.generation < 0)) {
    errs.invalid('metadata.generation', meta.generation, 'must be greater than or equal to 0');
  }
}

function validateOwnerReferences(refs: unknown, errs: FieldErrors): void {
  if (!Array.isArray(refs)) return;
  for (const ref of refs as Loose[]) {
    const checks: Array<[string, string]> = [['apiVersion', 'version'], ['kind', 'kind'], ['name', 'name'], ['uid', 'uid']];
    for (const [field, what] of checks) {
      if (!ref?.[field]) errs.invalid(`metadata.ownerReferences.${field}`, ref?.[field] ?? '', `${what} must not be empty`);
    }
  }
  if (refs.filter((r: Loose) => r?.controller === true).length > 1) {
    errs.invalid('metadata.ownerReferences', new GoLiteral('[]v1.OwnerReference{...}'), 'Only one reference can have Controller set to true');
  }
}

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export function validateLabelSelector(selector: Loose, path: string, errs: FieldErrors): void {
  if (!isObject(selector)) return;
  validateLabels(selector.matchLabels, `${path}.matchLabels`, errs);
  const expressions: Loose[] = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  expressions.forEach((req, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const values: unknown[] = Array.isArray(req?.values) ? req.values : [];
    if (req?.operator === 'In' || req?.operator === 'NotIn') {
      if (values.length === 0) errs.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (req?.operator === 'Exists' || req?.operator === 'DoesNotExist') {
      if (values.length > 0) errs.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    } else {
      errs.invalid(`${p}.operator`, req?.operator ?? '', 'not a valid selector operator');
    }
    errs.invalidEach(`${p}.key`, req?.key ?? '', qualifiedName(String(req?.key ?? '')));
  });
}

/** Whether a LabelSelector selects nothing at all (no labels, no expressions). */
export function selectorIsEmpty(selector: Loose): boolean {
  if (!isObject(selector)) return true;
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

/** Whether the labels satisfy a LabelSelector. */
export function selectorMatches(selector: Loose, labels: Record<string, string> | undefined): boolean {
  if (!isObject(selector)) return false;
  const have = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (have[k] !== v) return false;
  for (const req of (selector.matchExpressions ?? []) as Loose[]) {
    const present = Object.prototype.hasOwnProperty.call(have, req.key);
    const inValues = present && (req.values ?? []).includes(have[req.key]);
    const ok = req.operator === 'In' ? inValues : req.operator === 'NotIn' ? !inValues : req.operator === 'Exists' ? present : req.operator === 'DoesNotExist' ? !present : false;
    if (!ok) return false;
  }
  return true;
}

/** Go's %#v of a metav1.LabelSelector, as printed in `field is immutable` errors. */
export function goLabelSelector(selector: Loose): string {
  const labels = isObject(selector?.matchLabels) && Object.keys(selector.matchLabels).length ? goStringMap(selector.matchLabels) : 'map[string]string(nil)';
  const exprs: Loose[] = Array.isArray(selector?.matchExpressions) ? selector.matchExpressions : [];
  const reqs = exprs.length
    ? `[]v1.LabelSelectorRequirement{${exprs
        .map((r) => `v1.LabelSelectorRequirement{Key:${goValue(String(r.key ?? ''))}, Operator:${goValue(String(r.operator ?? ''))}, Values:${Array.isArray(r.values) && r.values.length ? goValue(r.values) : '[]string(nil)'}}`)
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${reqs}}`;
}
