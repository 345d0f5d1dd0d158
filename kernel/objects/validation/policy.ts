// policy/v1 PodDisruptionBudget: create clears status, validation as upstream's
// ValidatePodDisruptionBudgetSpec (messages and field paths).
import { goIntOrString, type IntOrPercent } from '../pdb.js';
import { FieldErrors, GoLiteral, isInteger, type Loose } from './field-errors.js';
import { goLabelSelector, validateLabelSelector } from './meta.js';
import { NON_NEGATIVE } from './util.js';

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];
const PERCENT = /^[0-9]+%$/;
const PERCENT_MESSAGE = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** A new budget starts without status: the disruption controller fills it in (upstream PrepareForCreate). */
export function defaultPodDisruptionBudget(obj: Loose, old: Loose | undefined): void {
  if (old === undefined) delete obj.status;
}

/** Upstream ValidatePositiveIntOrPercent + IsNotMoreThan100Percent. */
function validateIntOrPercent(value: unknown, path: string, errs: FieldErrors): void {
  if (typeof value === 'string') {
    if (!PERCENT.test(value)) return errs.invalid(path, new GoLiteral(goIntOrString(value)), PERCENT_MESSAGE);
    if (Number(value.slice(0, -1)) > 100) errs.invalid(path, new GoLiteral(goIntOrString(value)), 'must not be greater than 100%');
  } else if (isInteger(value)) {
    if (value < 0) errs.invalid(path, value, NON_NEGATIVE);
  } else {
    errs.invalid(path, value, "must be an integer or percentage (e.g '5%')");
  }
}

/** Go's %#v of the spec; pointers shown by their values (Go would print addresses). */
function goSpec(spec: Loose): string {
  const ptr = (v: unknown, type: string) => (v === undefined || v === null ? `(*${type})(nil)` : `&${v}`);
  const ios = (v: unknown) => (v === undefined || v === null ? v : goIntOrString(v as IntOrPercent));
  return (
    `policy.PodDisruptionBudgetSpec{MinAvailable:${ptr(ios(spec.minAvailable), 'intstr.IntOrString')}, ` +
    `Selector:${ptr(spec.selector ? goLabelSelector(spec.selector) : undefined, 'v1.LabelSelector')}, ` +
    `MaxUnavailable:${ptr(ios(spec.maxUnavailable), 'intstr.IntOrString')}, ` +
    `UnhealthyPodEvictionPolicy:${ptr(spec.unhealthyPodEvictionPolicy === undefined ? undefined : JSON.stringify(spec.unhealthyPodEvictionPolicy), 'policy.UnhealthyPodEvictionPolicyType')}}`
  );
}

export function validatePodDisruptionBudget(obj: Loose, errs: FieldErrors): void {
  const spec: Loose = obj.spec ?? {};
  const has = (v: unknown) => v !== undefined && v !== null;
  if (has(spec.minAvailable) && has(spec.maxUnavailable)) {
    errs.invalid('spec', new GoLiteral(goSpec(spec)), 'minAvailable and maxUnavailable cannot be both set');
  }
  if (has(spec.minAvailable)) validateIntOrPercent(spec.minAvailable, 'spec.minAvailable', errs);
  if (has(spec.maxUnavailable)) validateIntOrPercent(spec.maxUnavailable, 'spec.maxUnavailable', errs);
  validateLabelSelector(spec.selector, 'spec.selector', errs);
  const policy = spec.unhealthyPodEvictionPolicy;
  if (has(policy) && !EVICTION_POLICIES.includes(String(policy))) errs.notSupported('spec.unhealthyPodEvictionPolicy', policy, EVICTION_POLICIES);
}
