// Subresources: status-like projections (status, finalize, ephemeralcontainers), scale
// (autoscaling/v1 Scale), pods/binding, pods/eviction, and the streaming ones (log, exec, attach,
// port-forward, proxy, token), which need a node agent and are served by injected handlers.
import { bindPodToNode } from '../../controller/binding.js';
import type { ResourceType } from '../../objects/registry.js';
import { labelSelectorString, SelectorParseError, type LabelSelector } from '../../objects/selectors.js';
import { StatusError, errors } from '../../objects/status.js';
import { resourceKeyString, type KubeObject } from '../../objects/types.js';
import type { ApiRequest } from '../types.js';
import type { RestDeps } from './deps.js';
import { deleteOptionsFrom } from './delete.js';
import { admitEviction } from './eviction.js';
import { checkTypeMeta, decodeBody, sendPlain } from './negotiate.js';
import { getObject } from './read.js';
import { casUpdate, checkResourceVersion, isProjectedSubresource } from './scope.js';
import { dryRunQuery, matchUrlName, patchedObject, patchObject, updateObject } from './write.js';

const SCALE_TYPE: ResourceType = {
  group: 'autoscaling',
  version: 'v1',
  resource: 'scale',
  kind: 'Scale',
  listKind: 'ScaleList',
  singularName: 'scale',
  namespaced: true,
  verbs: ['get', 'patch', 'update'],
};

const SCALABLE = new Set(['apps/deployments', 'apps/replicasets', 'apps/statefulsets', '/replicationcontrollers']);

function successStatus(code: number): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code };
}

function notServed(req: ApiRequest): StatusError {
  return errors.unavailable(
    `no node agent serves ${req.resource.resource}/${req.subresource} yet: node streams (logs, exec, attach, port-forward) arrive with the node agent`,
  );
}

export async function serveSubresource(deps: RestDeps, req: ApiRequest): Promise<void> {
  const sub = req.subresource!;
  const key = `${req.resource.resource}/${sub}`;
  const handler = deps.subresourceHandlers?.[key];
  if (handler) return handler(req, { store: deps.store, bus: deps.bus, logger: deps.logger });
  if (isProjectedSubresource(sub)) {
    if (req.verb === 'get') return getObject(deps, req);
    if (req.verb === 'update') return updateObject(deps, req);
    if (req.verb === 'patch') return patchObject(deps, req);
  } else if (sub === 'scale' && SCALABLE.has(`${req.resource.group}/${req.resource.resource}`)) {
    return serveScale(deps, req);
  } else if (key === 'pods/binding' && req.verb === 'create') {
    return bindPod(deps, req);
  } else if (key === 'pods/eviction' && req.verb === 'create') {
    return evictPod(deps, req);
  } else if (['log', 'exec', 'attach', 'portforward', 'proxy', 'token'].includes(sub)) {
    // TODO(node agent issue): stream over the bus (subjects.node(nodeName, ...)) via subresourceHandlers.
    throw notServed(req);
  }
  throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${req.method} ${key})`);
}

// ---------------------------------------------------------------------------------------------
// scale

/** The autoscaling/v1 Scale view of a deployment, replica set or stateful set. */
export function toScale(obj: KubeObject): KubeObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: LabelSelector };
  const status = (obj.status ?? {}) as { replicas?: number };
  const m = obj.metadata;
  let selector: string;
  try {
    selector = labelSelectorString(spec.selector);
  } catch (e) {
    if (e instanceof SelectorParseError) throw errors.internal(`invalid label selector: ${e.message}`);
    throw e;
  }
  const scaleStatus: Record<string, unknown> = { replicas: status.replicas ?? 0 };
  if (selector) scaleStatus.selector = selector;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: scaleStatus,
  };
}

function replicasOf(scale: KubeObject, name: string): number {
  const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    const shown = replicas === undefined ? 'null' : JSON.stringify(replicas);
    throw errors.invalid('Scale', name, [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${shown}: must be greater than or equal to 0` }], 'autoscaling');
  }
  return replicas;
}

function withReplicas(current: KubeObject, replicas: number): KubeObject | undefined {
  const spec = (current.spec ?? {}) as Record<string, unknown>;
  if (spec.replicas === replicas) return undefined;
  return { ...current, spec: { ...spec, replicas } };
}

async function serveScale(deps: RestDeps, req: ApiRequest): Promise<void> {
  const rt = req.resource;
  const name = req.name!;
  if (req.verb === 'get') {
    sendPlain(req, 200, toScale(await deps.store.get(rt, req.namespace, name)));
    return;
  }
  let mutate: (current: KubeObject) => KubeObject | undefined;
  if (req.verb === 'update') {
    const scale = checkTypeMeta(decodeBody(deps, req), SCALE_TYPE.group + '/' + SCALE_TYPE.version, 'Scale');
    matchUrlName(req, scale);
    const replicas = replicasOf(scale, name);
    mutate = (current) => {
      checkResourceVersion(rt, current, scale);
      return withReplicas(current, replicas);
    };
  } else if (req.verb === 'patch') {
    mutate = (current) => {
      const patched = patchedObject(deps, req, SCALE_TYPE, toScale(current));
      checkResourceVersion(rt, current, patched);
      return withReplicas(current, replicasOf(patched, name));
    };
  } else {
    throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${req.method} ${rt.resource}/scale)`);
  }
  const updated = await casUpdate(deps.store, rt, req.namespace, name, mutate, { dryRun: dryRunQuery(req) });
  sendPlain(req, 200, toScale(updated));
}

// ---------------------------------------------------------------------------------------------
// pods/binding and pods/eviction

/** Sets spec.nodeName once (the scheduler's write), with the PodScheduled condition. */
async function bindPod(deps: RestDeps, req: ApiRequest): Promise<void> {
  const binding = checkTypeMeta(decodeBody(deps, req), 'v1', 'Binding');
  const name = req.name!;
  if (binding.metadata.name && binding.metadata.name !== name) throw errors.badRequest('name in URL does not match name in Binding object');
  const target = (binding.target ?? {}) as { kind?: string; name?: string };
  if (!target.name) {
    throw errors.invalid('Binding', name, [{ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
  }
  if (target.kind && target.kind !== 'Node') {
    throw errors.invalid('Binding', name, [{ reason: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: "${target.kind}": supported values: "Node"` }]);
  }
  await bindPodToNode(deps.store, req.namespace, name, target.name, {
    uid: binding.metadata.uid,
    annotations: binding.metadata.annotations,
    dryRun: dryRunQuery(req),
    resource: req.resource,
  });
  sendPlain(req, 201, successStatus(201));
}

/** Deletes the pod if its PodDisruptionBudget allows it (eviction.ts). */
async function evictPod(deps: RestDeps, req: ApiRequest): Promise<void> {
  const body = decodeBody(deps, req);
  const apiVersion = body.apiVersion === 'policy/v1beta1' ? 'policy/v1beta1' : 'policy/v1';
  const eviction = checkTypeMeta(body, apiVersion, 'Eviction');
  if (eviction.metadata.name && eviction.metadata.name !== req.name) throw errors.badRequest('name in URL does not match name in Eviction object');
  const requested = deleteOptionsFrom(eviction.deleteOptions as Parameters<typeof deleteOptionsFrom>[0], req.query);
  const opts = await admitEviction(deps.store, req.resource, req.namespace, req.name!, requested);
  await deps.store.delete(req.resource, req.namespace, req.name!, opts);
  deps.logger.debug('evicted pod', { pod: `${req.namespace}/${req.name}`, resource: resourceKeyString(req.resource) });
  sendPlain(req, 201, successStatus(201));
}
