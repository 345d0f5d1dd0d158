// NodeAffinityArgs: {addedAffinity}: a node affinity every pod of the profile must also satisfy
// (required) or is scored by (preferred), validated like core/v1 NodeAffinity.
import { Names } from '../../framework/names.js';
import { ArgsError, fieldError, isPlainObject, readArgsObject, throwIfAny } from '../shared/fielderrors.js';
import { validateNodeSelector, validatePreferredSchedulingTerms, type NodeSelectorTerm, type PreferredSchedulingTerm } from '../shared/nodeselector.js';

export interface NodeAffinityArgs {
  addedAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
  };
}

const KIND = `${Names.NodeAffinity}Args`;

export function validateNodeAffinityArgs(args: unknown): NodeAffinityArgs {
  const o = readArgsObject(args, KIND, ['addedAffinity']);
  if (o.addedAffinity === undefined || o.addedAffinity === null) return {};
  const path = `${KIND}.addedAffinity`;
  if (!isPlainObject(o.addedAffinity)) throw new ArgsError([fieldError.invalid(path, o.addedAffinity, 'must be a NodeAffinity object')]);
  const a = o.addedAffinity;
  const errors: string[] = [];
  for (const k of Object.keys(a)) {
    if (k !== 'requiredDuringSchedulingIgnoredDuringExecution' && k !== 'preferredDuringSchedulingIgnoredDuringExecution') errors.push(`${path}.${k}: unknown field "${k}"`);
  }
  const required = a.requiredDuringSchedulingIgnoredDuringExecution;
  if (required !== undefined && required !== null) errors.push(...validateNodeSelector(required, `${path}.requiredDuringSchedulingIgnoredDuringExecution`));
  errors.push(...validatePreferredSchedulingTerms(a.preferredDuringSchedulingIgnoredDuringExecution, `${path}.preferredDuringSchedulingIgnoredDuringExecution`));
  throwIfAny(errors);
  return { addedAffinity: a as NodeAffinityArgs['addedAffinity'] };
}
