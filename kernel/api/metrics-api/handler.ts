// The metrics.k8s.io/v1beta1 API (what metrics-server serves, what `kubectl top` reads): NodeMetrics
// and PodMetrics, get and list only. Nothing is stored: each request asks the node agents over the
// bus (`kite.node.<node>.metrics`, see protocol.ts) for the rates they sampled; a node that does
// not answer within the timeout is left out, as metrics-server leaves out nodes it cannot scrape.
import type { Bus } from '../../bus/types.js';
import { subjects } from '../../bus/types.js';
import type { Logger } from '../../log.js';
import { apiVersionOf, type ResourceRegistry, type ResourceType } from '../../objects/registry.js';
import { StatusError, errors, isStatusError } from '../../objects/status.js';
import type { KubeObject } from '../../objects/types.js';
import type { ObjectStore } from '../../store/types.js';
import { sendJson } from '../http/respond.js';
import { registerPrinter, toTable } from '../printers/mod.js';
import { nameColumn, col, type Printer } from '../printers/types.js';
import { predicateFromQuery } from '../rest/filters.js';
import { includeObjectParam, negotiateOutput, partialMetadata } from '../rest/negotiate.js';
import type { ApiRequest, RestHandler } from '../types.js';
import { cpuQuantity, goDuration, memoryQuantity } from './format.js';
import { METRICS_CALL, type PodUsage, type ResourceMetricsReply, type ResourceMetricsRequest, type ResourceUsage, type UsageWindow } from './protocol.js';

export const METRICS_GROUP = 'metrics.k8s.io';
const VERSION = 'v1beta1';
const API_VERSION = `${METRICS_GROUP}/${VERSION}`;
/** How long a list waits for a node agent's answer. */
export const DEFAULT_NODE_TIMEOUT_MS = 3000;

function metricsType(resource: string, kind: string, namespaced: boolean): ResourceType {
  return { group: METRICS_GROUP, version: VERSION, resource, kind, namespaced, listKind: `${kind}List`, singularName: kind.toLowerCase(), verbs: ['get', 'list'] };
}

export const nodeMetricsType = metricsType('nodes', 'NodeMetrics', false);
export const podMetricsType = metricsType('pods', 'PodMetrics', true);

/** Serves the two types in discovery and routing (writes and watch are then 405 MethodNotAllowed). */
export function addMetricsResources(registry: ResourceRegistry): void {
  for (const rt of [nodeMetricsType, podMetricsType]) if (!registry.byResource(rt.group, rt.resource)) registry.add(rt);
}

interface Usage { cpu: string; memory: string }
interface NodeMetrics extends KubeObject { timestamp: string; window: string; usage: Usage }
interface PodMetrics extends KubeObject { timestamp: string; window: string; containers: Array<{ name: string; usage: Usage }> }

const usageOf = (u: ResourceUsage): Usage => ({ cpu: cpuQuantity(u.cpuNanoCores), memory: memoryQuantity(u.memoryBytes) });

// metrics-server's table: NAME CPU MEMORY WINDOW (a pod's usage is its containers' together).
const usageColumns = [nameColumn(), col('CPU', 'string', 0, 'CPU usage'), col('Memory', 'string', 0, 'Memory usage'), col('Window', 'string', 0, 'Time window of the usage')];
const nodeMetricsPrinter: Printer = {
  columns: usageColumns,
  cells: (obj) => { const m = obj as NodeMetrics; return [m.metadata.name ?? '', m.usage.cpu, m.usage.memory, m.window]; },
};
const podMetricsPrinter: Printer = {
  columns: usageColumns,
  cells: (obj) => {
    const m = obj as PodMetrics;
    const sum = (key: keyof Usage) => m.containers.reduce((n, c) => n + parseUsage(c.usage[key]), 0);
    return [m.metadata.name ?? '', cpuQuantity(sum('cpu') * 1e9), memoryQuantity(sum('memory')), m.window];
  },
};
registerPrinter(METRICS_GROUP, 'nodes', nodeMetricsPrinter);
registerPrinter(METRICS_GROUP, 'pods', podMetricsPrinter);

/** Our own quantities back to numbers (cores, bytes), for the table's pod totals. */
function parseUsage(q: string): number {
  const m = /^(\d+)([a-zA-Z]*)$/.exec(q);
  if (!m) return 0;
  const scale: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  return Number(m[1]) * (scale[m[2]!] ?? 1);
}

export interface MetricsApiDeps {
  store: ObjectStore;
  bus?: Bus;
  registry: ResourceRegistry;
  logger: Logger;
  nodeTimeoutMs?: number;
}

function isReady(node: KubeObject): boolean {
  const conditions = (node.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

function windowOf(w: UsageWindow): { timestamp: string; window: string } {
  return { timestamp: w.timestamp, window: goDuration(w.windowSeconds) };
}

function metadataOf(obj: KubeObject, now: string): KubeObject['metadata'] {
  const { name, namespace, labels } = obj.metadata;
  return { name, ...(namespace ? { namespace } : {}), creationTimestamp: now, ...(labels ? { labels } : {}) };
}

/** Asks one node agent for the usage it sampled; undefined when there is no bus or no answer in time. */
export async function askNodeMetrics(bus: Bus | undefined, logger: Logger, node: string, want: ResourceMetricsRequest['want'], timeoutMs = DEFAULT_NODE_TIMEOUT_MS): Promise<ResourceMetricsReply | undefined> {
  if (!bus) return undefined;
  try {
    const request: ResourceMetricsRequest = { want };
    return (await bus.request(subjects.node(node, METRICS_CALL), request, { timeoutMs })).json<ResourceMetricsReply>();
  } catch (e) {
    logger.debug('node did not answer for metrics', { node, error: (e as Error).message });
    return undefined;
  }
}

/**
 * The sampled usage of running, scheduled pods by pod uid, asking each of their nodes once (what
 * a PodMetrics list answers, for in-process readers such as the HPA controller). Pods without
 * samples yet are absent.
 */
export async function podUsageByUid(bus: Bus | undefined, logger: Logger, pods: KubeObject[], timeoutMs = DEFAULT_NODE_TIMEOUT_MS): Promise<Map<string, PodUsage>> {
  const nodes = new Set<string>();
  const wanted = new Set<string | undefined>();
  for (const p of pods) {
    const node = (p.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!node || (p.status as { phase?: string } | undefined)?.phase !== 'Running') continue;
    nodes.add(node);
    wanted.add(p.metadata.uid);
  }
  const out = new Map<string, PodUsage>();
  await Promise.all([...nodes].map(async (node) => {
    const reply = await askNodeMetrics(bus, logger, node, 'pods', timeoutMs);
    for (const u of reply?.pods ?? []) if (wanted.has(u.uid) && u.containers.length > 0) out.set(u.uid, u);
  }));
  return out;
}

/** Whether it is metrics-server's own API: the RestHandler for everything else stays in charge. */
export function withMetricsApi(rest: RestHandler, deps: MetricsApiDeps): RestHandler {
  const metrics = createMetricsApi(deps);
  return (req) => (req.resource.group === METRICS_GROUP ? metrics(req) : rest(req));
}

export function createMetricsApi(deps: MetricsApiDeps): RestHandler {
  const timeoutMs = deps.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
  const coreType = (resource: string) => {
    const rt = deps.registry.byResource('', resource);
    if (!rt) throw errors.internal(`the registry has no core ${resource}`);
    return rt;
  };

  const ask = (node: string, want: ResourceMetricsRequest['want']) => askNodeMetrics(deps.bus, deps.logger, node, want, timeoutMs);

  const nodeMetrics = async (nodes: KubeObject[]): Promise<NodeMetrics[]> => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const answers = await Promise.all(nodes.map(async (n) => ({ node: n, reply: await ask(n.metadata.name ?? '', 'node') })));
    return answers.flatMap(({ node, reply }) => (reply?.node ? [{ metadata: metadataOf(node, now), ...windowOf(reply.node), usage: usageOf(reply.node) }] : []));
  };

  const podMetrics = async (pods: KubeObject[]): Promise<PodMetrics[]> => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const usage = await podUsageByUid(deps.bus, deps.logger, pods, timeoutMs);
    const out: PodMetrics[] = [];
    for (const pod of pods) {
      const u = usage.get(pod.metadata.uid ?? '');
      if (u) out.push({ metadata: metadataOf(pod, now), ...windowOf(u), containers: u.containers.map((c) => ({ name: c.name, usage: usageOf(c) })) });
    }
    return out.sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  };

  const notFound = (req: ApiRequest) =>
    req.resource.namespaced ? errors.notFound(`podmetrics.${METRICS_GROUP}`, `${req.namespace}/${req.name}`) : errors.notFound(`nodemetrics.${METRICS_GROUP}`, req.name!);

  const getSource = async (req: ApiRequest): Promise<KubeObject> => {
    try {
      return await deps.store.get(coreType(req.resource.resource), req.namespace, req.name!);
    } catch (e) {
      if (isStatusError(e, 'NotFound')) throw notFound(req);
      throw e;
    }
  };

  return async (req) => {
    const rt = req.resource;
    const isNodes = rt.resource === 'nodes';
    if (req.subresource !== undefined || (req.verb !== 'get' && req.verb !== 'list')) {
      throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${req.method} ${rt.resource})`);
    }
    const format = negotiateOutput(req.headers.accept);
    let items: KubeObject[];
    if (req.verb === 'get') {
      const source = await getSource(req);
      items = isNodes ? await nodeMetrics([source]) : await podMetrics([source]);
      if (items.length === 0) throw notFound(req);
    } else {
      // Selectors apply to the Nodes and Pods themselves (their labels and selectable fields), as
      // metrics-server filters its node and pod listers.
      const sourceType = coreType(rt.resource);
      const predicate = predicateFromQuery(sourceType, req.query);
      const { items: sources } = await deps.store.list(sourceType, { namespace: req.namespace, ...(predicate ? { predicate } : {}) });
      items = isNodes ? await nodeMetrics(sources.filter(isReady)) : await podMetrics(sources);
    }
    const typed = items.map((o) => ({ kind: rt.kind, apiVersion: API_VERSION, ...o }));
    switch (format.as) {
      case 'Table':
        return sendJson(req.res, 200, toTable(rt, typed, { includeObject: includeObjectParam(req.query), apiVersion: format.apiVersion }));
      case 'PartialObjectMetadata':
        if (req.verb === 'get') return sendJson(req.res, 200, partialMetadata(format.apiVersion, typed[0]!));
        return sendJson(req.res, 200, { kind: 'PartialObjectMetadataList', apiVersion: format.apiVersion, metadata: {}, items: typed.map((o) => partialMetadata(format.apiVersion, o)) });
      default:
        if (req.verb === 'get') return sendJson(req.res, 200, typed[0]);
        return sendJson(req.res, 200, { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata: {}, items });
    }
  };
}
