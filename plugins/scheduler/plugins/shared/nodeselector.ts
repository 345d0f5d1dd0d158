// Node selector terms (core/v1 NodeSelector) with upstream component-helpers/scheduling/corev1/
// nodeaffinity semantics: terms are ORed, requirements within a term ANDed; matchExpressions over
// node labels (In, NotIn, Exists, DoesNotExist, Gt, Lt), matchFields over `metadata.name` (In,
// NotIn). An empty term list or an empty term matches no node; a term that does not parse (bad
// operator, Gt with a non-integer) matches no node while the other terms still count (upstream's
// LazyErrorNodeSelector). Compiled matchers are cached per terms object, so callers can pass the
// same pod spec arrays node after node cheaply.
import { labelValueErrors, newRequirement, qualifiedNameErrors, requirementMatches, type LabelOperator, type LabelRequirement } from '../../../../kernel/objects/selectors.js';
import type { Node, Pod } from '../../framework/interfaces.js';
import { fieldError } from './fielderrors.js';

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[] | null;
  matchFields?: NodeSelectorRequirement[] | null;
}

export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}

/** The one field matchFields supports. */
export const NODE_NAME_FIELD = 'metadata.name';

const OPERATORS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!', Gt: 'gt', Lt: 'lt' };

type NodeMatcher = (node: Node) => boolean;
const NEVER: NodeMatcher = () => false;

/** A compiled term; `matches` is NEVER when the term is empty or did not parse. */
export interface CompiledNodeSelectorTerm {
  readonly matches: NodeMatcher;
  /** Parse problems (the term matches nothing when there are any). */
  readonly errors: readonly string[];
}

function labelsOf(node: Node): Record<string, string> | undefined {
  return node.metadata.labels as Record<string, string> | undefined;
}

/** Compiles one term (uncached); prefer the cached entry points below. */
export function compileNodeSelectorTerm(term: NodeSelectorTerm | null | undefined): CompiledNodeSelectorTerm {
  const exprs = term?.matchExpressions ?? [];
  const fields = term?.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return { matches: NEVER, errors: [] };
  const errors: string[] = [];
  const labelReqs: LabelRequirement[] = [];
  for (const r of exprs) {
    const op = OPERATORS[r.operator];
    if (!op) {
      errors.push(`${JSON.stringify(r.operator)} is not a valid label selector operator`);
      continue;
    }
    try {
      labelReqs.push(newRequirement(r.key, op, [...(r.values ?? [])]));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const nameReqs: { values: readonly string[]; notIn: boolean }[] = [];
  for (const r of fields) {
    if (r.key !== NODE_NAME_FIELD) errors.push(`${JSON.stringify(r.key)} is not a valid field selector key`);
    else if (r.operator !== 'In' && r.operator !== 'NotIn') errors.push(`${JSON.stringify(r.operator)} is not a valid field selector operator`);
    else if ((r.values ?? []).length !== 1) errors.push(`unexpected number of value (${(r.values ?? []).length}) for node field selector operator ${JSON.stringify(r.operator)}`);
    else nameReqs.push({ values: r.values!, notIn: r.operator === 'NotIn' });
  }
  if (errors.length) return { matches: NEVER, errors };
  const checks: LabelCheck[] = labelReqs.map(labelCheck);
  const matches: NodeMatcher = (node) => {
    const labels = labelsOf(node);
    for (let i = 0; i < checks.length; i++) if (!checks[i]!(labels)) return false;
    if (nameReqs.length) {
      const name = node.metadata.name ?? '';
      for (const f of nameReqs) if (f.values.includes(name) === f.notIn) return false;
    }
    return true;
  };
  return { matches, errors };
}

type LabelCheck = (labels: Record<string, string> | undefined) => boolean;

/**
 * A validated requirement as a specialized closure: filters run it for every node, so the common
 * operators avoid the generic switch (same results as the kernel's requirementMatches).
 */
function labelCheck(r: LabelRequirement): LabelCheck {
  const { key } = r;
  const own = (labels: Record<string, string> | undefined): string | undefined =>
    labels !== undefined && Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : undefined;
  switch (r.operator) {
    case 'in':
      if (r.values.length === 1) {
        const only = r.values[0];
        return (labels) => own(labels) === only;
      } else {
        const set = new Set(r.values);
        return (labels) => {
          const v = own(labels);
          return v !== undefined && set.has(v);
        };
      }
    case 'notin': {
      const set = new Set(r.values);
      return (labels) => {
        const v = own(labels);
        return v === undefined || !set.has(v);
      };
    }
    case 'exists':
      return (labels) => own(labels) !== undefined;
    case '!':
      return (labels) => own(labels) === undefined;
    default:
      return (labels) => requirementMatches(r, labels);
  }
}

const termsCache = new WeakMap<object, NodeMatcher>();

/** Compiles a list of terms (ORed) into one matcher; cached per array. */
export function compileNodeSelectorTerms(terms: readonly NodeSelectorTerm[] | null | undefined): NodeMatcher {
  if (!terms || terms.length === 0) return NEVER;
  const cached = termsCache.get(terms);
  if (cached) return cached;
  const compiled = terms.map((t) => compileNodeSelectorTerm(t).matches).filter((m) => m !== NEVER);
  const matcher: NodeMatcher =
    compiled.length === 0 ? NEVER : compiled.length === 1 ? compiled[0]! : (node) => {
      for (let i = 0; i < compiled.length; i++) if (compiled[i]!(node)) return true;
      return false;
    };
  termsCache.set(terms, matcher);
  return matcher;
}

/**
 * Does `node` match any of `terms` (a NodeSelector's nodeSelectorTerms)? An empty or missing list
 * matches nothing, as upstream's NodeSelector does.
 */
export function nodeMatchesNodeSelectorTerms(node: Node, terms: readonly NodeSelectorTerm[] | null | undefined): boolean {
  return compileNodeSelectorTerms(terms)(node);
}

/** Does `node` carry every label of a pod's spec.nodeSelector? */
export function nodeMatchesNodeSelectorMap(node: Node, selector: Record<string, string> | null | undefined): boolean {
  if (!selector) return true;
  const labels = labelsOf(node) ?? {};
  for (const k in selector) if (!Object.prototype.hasOwnProperty.call(labels, k) || labels[k] !== selector[k]) return false;
  return true;
}

const requiredCache = new WeakMap<object, NodeMatcher>();

/**
 * Upstream GetRequiredNodeAffinity(pod).Match: spec.nodeSelector AND (when set)
 * spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution. Cached per pod spec.
 * Used by NodeAffinity's filter and by PodTopologySpread's nodeAffinityPolicy: Honor.
 */
export function requiredNodeAffinity(pod: Pod): NodeMatcher {
  const spec = pod.spec ?? {};
  const cached = requiredCache.get(spec);
  if (cached) return cached;
  const selector = spec.nodeSelector as Record<string, string> | undefined;
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution as { nodeSelectorTerms?: NodeSelectorTerm[] } | undefined;
  let matcher: NodeMatcher;
  if (!required) matcher = selector ? (n) => nodeMatchesNodeSelectorMap(n, selector) : () => true;
  else {
    const terms = compileNodeSelectorTerms(required.nodeSelectorTerms ?? []);
    matcher = selector ? (n) => nodeMatchesNodeSelectorMap(n, selector) && terms(n) : terms;
  }
  requiredCache.set(spec, matcher);
  return matcher;
}

/** Convenience: upstream's `GetRequiredNodeAffinity(pod).Match(node)`. */
export function podMatchesNodeAffinity(pod: Pod, node: Node): boolean {
  return requiredNodeAffinity(pod)(node);
}

/** Compiled preferred terms: score(node) sums the weights of matching terms (upstream PreferredSchedulingTerms). */
export interface CompiledPreferredTerms {
  score(node: Node): number;
  readonly errors: readonly string[];
}

const preferredCache = new WeakMap<object, CompiledPreferredTerms>();

export function compilePreferredSchedulingTerms(terms: readonly PreferredSchedulingTerm[] | null | undefined): CompiledPreferredTerms {
  if (!terms || terms.length === 0) return { score: () => 0, errors: [] };
  const cached = preferredCache.get(terms);
  if (cached) return cached;
  const weighted: { weight: number; matches: NodeMatcher }[] = [];
  const errors: string[] = [];
  for (const t of terms) {
    // Weight-0 terms are skipped, as upstream does.
    if (!t.weight) continue;
    const c = compileNodeSelectorTerm(t.preference);
    if (c.errors.length) errors.push(...c.errors);
    else if (c.matches !== NEVER) weighted.push({ weight: t.weight, matches: c.matches });
  }
  const compiled: CompiledPreferredTerms = {
    errors,
    score(node) {
      let sum = 0;
      for (let i = 0; i < weighted.length; i++) if (weighted[i]!.matches(node)) sum += weighted[i]!.weight;
      return sum;
    },
  };
  preferredCache.set(terms, compiled);
  return compiled;
}

// ---- Validation with field paths (core/v1 validation wording), for plugin args ---------------

function labelNameErrors(key: string, path: string): string[] {
  return qualifiedNameErrors(key).map((m) => fieldError.invalid(path, key, m));
}

export function validateNodeSelectorRequirement(r: unknown, path: string, isField: boolean): string[] {
  const errs: string[] = [];
  if (typeof r !== 'object' || r === null) return [fieldError.invalid(path, r, 'must be a node selector requirement {key, operator, values}')];
  const req = r as NodeSelectorRequirement;
  const values = req.values ?? [];
  if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) return [fieldError.invalid(`${path}.values`, req.values, 'must be a list of strings')];
  if (isField) {
    if (req.operator === 'In' || req.operator === 'NotIn') {
      if (values.length !== 1) errs.push(fieldError.required(`${path}.values`, "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
    } else errs.push(fieldError.invalid(`${path}.operator`, req.operator, 'not a valid selector operator'));
    if (req.key !== NODE_NAME_FIELD) errs.push(fieldError.invalid(`${path}.key`, req.key, 'not a valid field selector key'));
    return errs;
  }
  switch (req.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(fieldError.required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(fieldError.forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errs.push(fieldError.required(`${path}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      else if (!/^[+-]?\d+$/.test(values[0]!)) errs.push(fieldError.invalid(`${path}.values[0]`, values[0], "for 'Gt', 'Lt' operators, the value must be an integer"));
      break;
    default:
      errs.push(fieldError.invalid(`${path}.operator`, req.operator, 'not a valid selector operator'));
  }
  if (typeof req.key !== 'string') errs.push(fieldError.required(`${path}.key`, ''));
  else errs.push(...labelNameErrors(req.key, `${path}.key`));
  if (req.operator === 'In' || req.operator === 'NotIn') {
    values.forEach((v, i) => errs.push(...labelValueErrors(v).map((m) => fieldError.invalid(`${path}.values[${i}]`, v, m))));
  }
  return errs;
}

export function validateNodeSelectorTerm(term: unknown, path: string): string[] {
  if (typeof term !== 'object' || term === null) return [fieldError.invalid(path, term, 'must be a node selector term {matchExpressions, matchFields}')];
  const t = term as NodeSelectorTerm;
  const errs: string[] = [];
  for (const [name, isField] of [['matchExpressions', false], ['matchFields', true]] as const) {
    const list = t[name];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      errs.push(fieldError.invalid(`${path}.${name}`, list, 'must be a list'));
      continue;
    }
    list.forEach((r, i) => errs.push(...validateNodeSelectorRequirement(r, `${path}.${name}[${i}]`, isField)));
  }
  return errs;
}

/** A NodeSelector ({nodeSelectorTerms}): at least one term is required, as core validation says. */
export function validateNodeSelector(selector: unknown, path: string): string[] {
  if (typeof selector !== 'object' || selector === null) return [fieldError.invalid(path, selector, 'must be a node selector {nodeSelectorTerms}')];
  const terms = (selector as { nodeSelectorTerms?: unknown }).nodeSelectorTerms;
  if (!Array.isArray(terms) || terms.length === 0) return [fieldError.required(`${path}.nodeSelectorTerms`, 'must have at least one node selector term')];
  return terms.flatMap((t, i) => validateNodeSelectorTerm(t, `${path}.nodeSelectorTerms[${i}]`));
}

export function validatePreferredSchedulingTerms(terms: unknown, path: string): string[] {
  if (terms === undefined || terms === null) return [];
  if (!Array.isArray(terms)) return [fieldError.invalid(path, terms, 'must be a list')];
  const errs: string[] = [];
  terms.forEach((t, i) => {
    const p = `${path}[${i}]`;
    if (typeof t !== 'object' || t === null) {
      errs.push(fieldError.invalid(p, t, 'must be a preferred scheduling term {weight, preference}'));
      return;
    }
    const { weight, preference } = t as { weight?: unknown; preference?: unknown };
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight <= 0 || weight > 100) errs.push(fieldError.invalid(`${p}.weight`, weight, 'must be in the range 1-100'));
    errs.push(...validateNodeSelectorTerm(preference ?? {}, `${p}.preference`));
  });
  return errs;
}
