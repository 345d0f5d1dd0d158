// `labelSelector` / `fieldSelector` query parameters → one predicate over stored objects. Field
// selectors accept only the fields upstream indexes for each type (others: 400 "field label not
// supported"), so kubectl gets the same answers as from kube-apiserver.
import type { ResourceType } from '../../objects/registry.js';
import { fieldRequirementsMatch, parseFieldSelector, parseLabelSelector, SelectorParseError, type FieldRequirement } from '../../objects/selectors.js';
import { errors } from '../../objects/status.js';
import type { KubeObject } from '../../objects/types.js';

const COMMON_FIELDS = ['metadata.name', 'metadata.namespace'];

/** Extra selectable fields by `<group>/<resource>`. */
const TYPE_FIELDS: Record<string, string[]> = {
  '/pods': [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  '/events': [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  '/secrets': ['type'],
  '/namespaces': ['status.phase'],
  '/nodes': ['spec.unschedulable'],
  '/services': ['spec.clusterIP', 'spec.type'],
  '/replicationcontrollers': ['status.replicas'],
  'apps/replicasets': ['status.replicas'],
  'batch/jobs': ['status.successful'],
  'certificates.k8s.io/certificatesigningrequests': ['spec.signerName'],
};

/** Fields whose selectable value lives at another path. */
const FIELD_PATHS: Record<string, string> = { source: 'source.component' };

export function selectableFields(rt: Pick<ResourceType, 'group' | 'resource'>): string[] {
  return [...COMMON_FIELDS, ...(TYPE_FIELDS[`${rt.group}/${rt.resource}`] ?? [])];
}

/** The string value of a selectable field ('' when unset; booleans and numbers as text). */
export function fieldValue(obj: KubeObject, field: string): string {
  let cur: unknown = obj;
  for (const part of (FIELD_PATHS[field] ?? field).split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

function parseOrBadRequest<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof SelectorParseError) throw errors.badRequest(err.message);
    throw err;
  }
}

/**
 * Compiles the request's selectors (and a name from the path, for legacy single-object watches)
 * into a predicate; undefined when nothing filters.
 */
export function predicateFromQuery(rt: ResourceType, query: URLSearchParams, name?: string): ((obj: KubeObject) => boolean) | undefined {
  const labelText = query.get('labelSelector') ?? '';
  const fieldText = query.get('fieldSelector') ?? '';
  const labels = parseOrBadRequest(() => parseLabelSelector(labelText));
  const fields: FieldRequirement[] = parseOrBadRequest(() => parseFieldSelector(fieldText));
  const allowed = selectableFields(rt);
  for (const f of fields) if (!allowed.includes(f.field)) throw errors.badRequest(`field label not supported: ${f.field}`);
  if (name !== undefined) fields.push({ field: 'metadata.name', operator: '=', value: name });
  if (labels.requirements.length === 0 && fields.length === 0) return undefined;
  return (obj) => labels.matches(obj.metadata.labels) && fieldRequirementsMatch(fields, (f) => fieldValue(obj, f));
}
