// NodeResourcesFitArgs and NodeResourcesBalancedAllocationArgs: defaulting and validation worded
// as upstream's (pkg/scheduler/apis/config/validation), plus the limits of the scoring kernel,
// which has columns for cpu and memory only.
import { qualifiedNameErrors } from '../../../../kernel/objects/selectors.js';
import type { FitStrategy, ShapePoint } from '../../../../wasm/score/types.js';
import { MAX_SHAPE_POINTS } from '../../../../wasm/score/types.js';
import { Names } from '../../framework/names.js';
import { fieldError, isInteger, isPlainObject, readArgsObject, readList, throwIfAny } from '../shared/fielderrors.js';
import { KERNEL_SCORED_RESOURCES } from '../shared/kernel-score.js';

export interface ResourceSpec {
  name: string;
  weight: number;
}

export interface NodeResourcesFitArgs {
  ignoredResources: string[];
  ignoredResourceGroups: string[];
  scoringStrategy: {
    type: FitStrategy;
    resources: ResourceSpec[];
    requestedToCapacityRatio?: { shape: ShapePoint[] };
  };
}

export interface NodeResourcesBalancedAllocationArgs {
  resources: ResourceSpec[];
}

export const SCORING_STRATEGY_TYPES: readonly FitStrategy[] = ['LeastAllocated', 'MostAllocated', 'RequestedToCapacityRatio'];
/** Upstream defaultResourceSpec. */
export const DEFAULT_RESOURCES: readonly ResourceSpec[] = Object.freeze([
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
]);
/** Upstream MaxCustomPriorityScore: shape scores are 0..10. */
const MAX_CUSTOM_PRIORITY_SCORE = 10;

const FIT_KIND = `${Names.NodeResourcesFit}Args`;
const BALANCED_KIND = `${Names.NodeResourcesBalancedAllocation}Args`;

function labelNameErrors(value: unknown, path: string): string[] {
  if (typeof value !== 'string') return [fieldError.invalid(path, value, 'must be a string')];
  return qualifiedNameErrors(value).map((m) => fieldError.invalid(path, value, m));
}

/** Reads a resources list, defaulting weight 0/absent to 1 and an empty list to cpu + memory. */
function readResources(v: unknown, path: string, errors: string[]): ResourceSpec[] {
  const list = readList(v, path, errors);
  if (list.length === 0) return DEFAULT_RESOURCES.map((r) => ({ ...r }));
  const out: ResourceSpec[] = [];
  list.forEach((r, i) => {
    const p = `${path}[${i}]`;
    if (!isPlainObject(r)) {
      errors.push(fieldError.invalid(p, r, 'must be a resource spec {name, weight}'));
      return;
    }
    if (typeof r.name !== 'string' || r.name === '') errors.push(fieldError.required(`${p}.name`, ''));
    const weight = r.weight === undefined || r.weight === null || r.weight === 0 ? 1 : r.weight;
    if (!isInteger(weight)) errors.push(fieldError.invalid(`${p}.weight`, r.weight, 'must be an integer'));
    out.push({ name: String(r.name ?? ''), weight: weight as number });
  });
  return out;
}

/** The kernel scores cpu and memory together: both listed, nothing else, once each. */
function kernelResourceErrors(resources: readonly ResourceSpec[], path: string): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  resources.forEach((r, i) => {
    if (seen.has(r.name)) errors.push(fieldError.duplicate(`${path}[${i}].name`, r.name));
    seen.add(r.name);
    if (r.name && !(KERNEL_SCORED_RESOURCES as readonly string[]).includes(r.name)) {
      errors.push(`${fieldError.notSupported(`${path}[${i}].name`, r.name, KERNEL_SCORED_RESOURCES)} (the scoring kernel scores cpu and memory only)`);
    }
  });
  const missing = KERNEL_SCORED_RESOURCES.filter((n) => !seen.has(n));
  if (missing.length && errors.length === 0) {
    errors.push(fieldError.invalid(path, resources.map((r) => r.name), `must list both cpu and memory (missing ${missing.join(', ')}): the scoring kernel scores them together`));
  }
  return errors;
}

function validateShape(v: unknown, path: string, errors: string[]): ShapePoint[] {
  const list = readList(v, path, errors);
  if (list.length === 0) {
    errors.push(fieldError.required(path, 'at least one point must be specified'));
    return [];
  }
  if (list.length > MAX_SHAPE_POINTS) errors.push(fieldError.invalid(path, list.length, `at most ${MAX_SHAPE_POINTS} points (a limit of the scoring kernel)`));
  const points: ShapePoint[] = [];
  list.forEach((p, i) => {
    if (!isPlainObject(p)) {
      errors.push(fieldError.invalid(`${path}[${i}]`, p, 'must be a shape point {utilization, score}'));
      return;
    }
    const utilization = p.utilization ?? 0;
    const score = p.score ?? 0;
    if (!isInteger(utilization)) errors.push(fieldError.invalid(`${path}[${i}].utilization`, utilization, 'must be an integer'));
    else if (utilization < 0 || utilization > 100) errors.push(fieldError.invalid(`${path}[${i}].utilization`, utilization, 'not in valid range [0, 100]'));
    if (!isInteger(score)) errors.push(fieldError.invalid(`${path}[${i}].score`, score, 'must be an integer'));
    else if (score < 0 || score > MAX_CUSTOM_PRIORITY_SCORE) errors.push(fieldError.invalid(`${path}[${i}].score`, score, `not in valid range [0, ${MAX_CUSTOM_PRIORITY_SCORE}]`));
    points.push({ utilization: utilization as number, score: score as number });
  });
  for (let i = 1; i < points.length; i++) {
    if (points[i - 1]!.utilization >= points[i]!.utilization) {
      errors.push(fieldError.invalid(`${path}[${i}].utilization`, points[i]!.utilization, 'utilization values must be sorted in increasing order'));
      break;
    }
  }
  return points;
}

export function validateNodeResourcesFitArgs(args: unknown): NodeResourcesFitArgs {
  const o = readArgsObject(args, FIT_KIND, ['ignoredResources', 'ignoredResourceGroups', 'scoringStrategy']);
  const errors: string[] = [];
  const ignoredResources = readList(o.ignoredResources, `${FIT_KIND}.ignoredResources`, errors);
  ignoredResources.forEach((r, i) => errors.push(...labelNameErrors(r, `${FIT_KIND}.ignoredResources[${i}]`)));
  const ignoredResourceGroups = readList(o.ignoredResourceGroups, `${FIT_KIND}.ignoredResourceGroups`, errors);
  ignoredResourceGroups.forEach((g, i) => {
    const p = `${FIT_KIND}.ignoredResourceGroups[${i}]`;
    if (typeof g === 'string' && g.includes('/')) errors.push(fieldError.invalid(p, g, "resource group name can't contain '/'"));
    errors.push(...labelNameErrors(g, p));
  });

  const sp = `${FIT_KIND}.scoringStrategy`;
  let type: FitStrategy = 'LeastAllocated';
  let resources = DEFAULT_RESOURCES.map((r) => ({ ...r }));
  let shape: ShapePoint[] | undefined;
  if (o.scoringStrategy !== undefined && o.scoringStrategy !== null) {
    if (!isPlainObject(o.scoringStrategy)) errors.push(fieldError.invalid(sp, o.scoringStrategy, 'must be a ScoringStrategy object'));
    else {
      const s = o.scoringStrategy;
      for (const k of Object.keys(s)) if (!['type', 'resources', 'requestedToCapacityRatio'].includes(k)) errors.push(`${sp}.${k}: unknown field "${k}"`);
      if (!SCORING_STRATEGY_TYPES.includes(s.type as FitStrategy)) errors.push(fieldError.notSupported(`${sp}.type`, s.type ?? '', SCORING_STRATEGY_TYPES));
      else type = s.type as FitStrategy;
      resources = readResources(s.resources, `${sp}.resources`, errors);
      resources.forEach((r, i) => {
        if (r.weight <= 0 || r.weight > 100) errors.push(fieldError.invalid(`${sp}.resources[${i}].weight`, r.weight, `resource weight of ${r.name} not in valid range (0, 100]`));
      });
      errors.push(...kernelResourceErrors(resources, `${sp}.resources`));
      const rtcr = s.requestedToCapacityRatio;
      if (rtcr !== undefined && rtcr !== null) {
        if (!isPlainObject(rtcr)) errors.push(fieldError.invalid(`${sp}.requestedToCapacityRatio`, rtcr, 'must be {shape}'));
        else shape = validateShape(rtcr.shape, `${sp}.requestedToCapacityRatio.shape`, errors);
      } else if (type === 'RequestedToCapacityRatio') {
        errors.push(fieldError.required(`${sp}.requestedToCapacityRatio.shape`, 'at least one point must be specified'));
      }
    }
  }
  throwIfAny(errors);
  return {
    ignoredResources: ignoredResources as string[],
    ignoredResourceGroups: ignoredResourceGroups as string[],
    scoringStrategy: { type, resources, ...(shape ? { requestedToCapacityRatio: { shape } } : {}) },
  };
}

export function validateBalancedAllocationArgs(args: unknown): NodeResourcesBalancedAllocationArgs {
  const o = readArgsObject(args, BALANCED_KIND, ['resources']);
  const errors: string[] = [];
  const path = `${BALANCED_KIND}.resources`;
  const resources = readResources(o.resources, path, errors);
  resources.forEach((r, i) => {
    if (r.weight !== 1) errors.push(fieldError.invalid(`${path}[${i}].weight`, r.weight, 'must be 1'));
  });
  errors.push(...kernelResourceErrors(resources, path));
  throwIfAny(errors);
  return { resources };
}
