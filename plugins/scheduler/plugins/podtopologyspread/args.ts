// PodTopologySpreadArgs: defaulting and validation as upstream's (v1 defaults: defaultingType
// System; ValidatePodTopologySpreadArgs), messages worded as field errors naming the field.
import { ArgsError, fieldError, isInteger, isPlainObject, readArgsObject, readList } from '../shared/fielderrors.js';
import { SYSTEM_DEFAULT_CONSTRAINTS, type RawConstraint } from './constraints.js';

export const KIND = 'PodTopologySpreadArgs';

export interface PodTopologySpreadArgs {
  defaultingType: 'System' | 'List';
  defaultConstraints: RawConstraint[];
  /** The constraints in effect for pods without their own: the system ones or the listed ones. */
  effectiveDefaults: readonly RawConstraint[];
}

const WHEN = ['DoNotSchedule', 'ScheduleAnyway'] as const;

export function validatePodTopologySpreadArgs(args: unknown): PodTopologySpreadArgs {
  const a = readArgsObject(args, KIND, ['defaultConstraints', 'defaultingType']);
  const errors: string[] = [];
  const defaultingType = (a.defaultingType ?? 'System') as string;
  const list = readList(a.defaultConstraints, `${KIND}.defaultConstraints`, errors);
  if (defaultingType !== 'System' && defaultingType !== 'List') errors.push(fieldError.notSupported(`${KIND}.defaultingType`, defaultingType, ['System', 'List']));
  else if (defaultingType === 'System' && list.length > 0) errors.push(fieldError.invalid(`${KIND}.defaultingType`, defaultingType, 'when .defaultConstraints are not empty'));
  const constraints: RawConstraint[] = [];
  const seen = new Set<string>();
  list.forEach((raw, i) => {
    const p = `${KIND}.defaultConstraints[${i}]`;
    if (!isPlainObject(raw)) {
      errors.push(fieldError.typeInvalid(p, raw, 'must be a TopologySpreadConstraint object'));
      return;
    }
    const c = raw as unknown as RawConstraint;
    if (!isInteger(c.maxSkew) || c.maxSkew <= 0) errors.push(fieldError.invalid(`${p}.maxSkew`, c.maxSkew, 'not in valid range'));
    if (typeof c.topologyKey !== 'string' || c.topologyKey === '') errors.push(fieldError.required(`${p}.topologyKey`, 'can not be empty'));
    if (!WHEN.includes(c.whenUnsatisfiable)) errors.push(fieldError.notSupported(`${p}.whenUnsatisfiable`, c.whenUnsatisfiable, WHEN));
    if (c.labelSelector !== undefined && c.labelSelector !== null) errors.push(fieldError.forbidden(`${p}.labelSelector`, 'constraint must not define a selector, as they deduced for each pod'));
    if (c.minDomains !== undefined && c.minDomains !== null && (!isInteger(c.minDomains) || c.minDomains <= 0)) errors.push(fieldError.invalid(`${p}.minDomains`, c.minDomains, 'must be greater than 0'));
    for (const k of ['nodeAffinityPolicy', 'nodeTaintsPolicy'] as const) {
      const v = c[k];
      if (v !== undefined && v !== null && v !== 'Honor' && v !== 'Ignore') errors.push(fieldError.notSupported(`${p}.${k}`, v, ['Honor', 'Ignore']));
    }
    const key = `${c.topologyKey}/${c.whenUnsatisfiable}`;
    if (seen.has(key)) errors.push(fieldError.duplicate(`${p}`, `{${c.topologyKey}, ${c.whenUnsatisfiable}}`));
    seen.add(key);
    constraints.push(c);
  });
  if (errors.length) throw new ArgsError(errors);
  const type = defaultingType as 'System' | 'List';
  return { defaultingType: type, defaultConstraints: constraints, effectiveDefaults: type === 'System' ? SYSTEM_DEFAULT_CONSTRAINTS : constraints };
}
