// Strategic merge patch facts (merge key and strategy) of a field, looked up by path.
import type { ResourceType } from '../registry.js';
import type { FieldDef, PatchStrategy, TypeDef } from './dsl.js';
import { rootTypeOf, typeOfField } from './catalog.js';

export interface MergeStrategy {
  mergeKey?: string;
  /** The first listed strategy (`merge` for lists merged by key); retainKeys is reported when it is the only one. */
  strategy?: PatchStrategy;
  /** All strategies, e.g. ['merge', 'retainKeys'] for pod volumes. */
  strategies?: PatchStrategy[];
}

/**
 * The patch strategy at a field path such as ['spec', 'template', 'spec', 'containers'].
 * List indices ('0', '[0]') inside the path step into the list's element type. Unknown paths give {}.
 */
export function mergeStrategyAt(rt: Pick<ResourceType, 'group' | 'version' | 'kind'>, path: string[]): MergeStrategy {
  let type: TypeDef | undefined = rootTypeOf(rt);
  let field: FieldDef | undefined;
  for (const segment of path) {
    if (field?.kind === 'array' && /^\[?\d+\]?$/.test(segment)) {
      type = typeOfField(field);
      field = undefined;
      continue;
    }
    if (field) type = typeOfField(field);
    field = type?.fields[segment];
    if (!field) return {};
  }
  if (!field?.strategies && !field?.mergeKey) return {};
  const result: MergeStrategy = {};
  if (field.mergeKey) result.mergeKey = field.mergeKey;
  if (field.strategies) {
    result.strategy = field.strategies[0];
    result.strategies = [...field.strategies];
  }
  return result;
}
