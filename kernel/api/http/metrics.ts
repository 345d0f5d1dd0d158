// The API server's request metrics, with upstream's names and labels so existing dashboards work.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const REQUEST_LABELS = ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
// Upstream apiserver_request_duration_seconds buckets.
const DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

export interface RequestLabels {
  /** Upstream's reported verb: GET, LIST, WATCH, POST, PUT, PATCH, APPLY, DELETE, DELETECOLLECTION, CONNECT. */
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  /** resource (named), namespace, cluster, or '' for non-resource paths. */
  scope: string;
}

export interface ApiMetrics {
  /** Call when a request starts; the returned function records it when it ends. */
  begin(longRunning: boolean, mutating: boolean): (labels: RequestLabels, code: number) => void;
}

/** Reuses a metric already on the registry (a second server in the same process shares it). */
function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function createApiMetrics(registry: Registry): ApiMetrics {
  const total = reuse(registry, 'apiserver_request_total', () =>
    new Counter({ name: 'apiserver_request_total', help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.', labelNames: [...REQUEST_LABELS, 'code'], registers: [registry] }),
  );
  const duration = reuse(registry, 'apiserver_request_duration_seconds', () =>
    new Histogram({ name: 'apiserver_request_duration_seconds', help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.', labelNames: [...REQUEST_LABELS], buckets: DURATION_BUCKETS, registers: [registry] }),
  );
  const inflight = reuse(registry, 'apiserver_current_inflight_requests', () =>
    new Gauge({ name: 'apiserver_current_inflight_requests', help: 'Maximal number of currently used inflight request limit of this apiserver per request kind in last second.', labelNames: ['request_kind'], registers: [registry] }),
  );

  return {
    begin(longRunning, mutating) {
      const started = process.hrtime.bigint();
      const kind = mutating ? 'mutating' : 'readOnly';
      // Long-running requests (watch, logs, exec) are not counted as in flight, as upstream.
      if (!longRunning) inflight.inc({ request_kind: kind });
      let done = false;
      return (labels, code) => {
        if (done) return;
        done = true;
        if (!longRunning) inflight.dec({ request_kind: kind });
        const full = { ...labels, component: 'apiserver' };
        total.inc({ ...full, code: String(code) });
        if (!longRunning) duration.observe(full, Number(process.hrtime.bigint() - started) / 1e9);
      };
    },
  };
}

/** Upstream's verb label for a request. */
export function reportedVerb(method: string, apiVerb: string | undefined, contentType: string | undefined): string {
  if (apiVerb === 'list' || apiVerb === 'watch' || apiVerb === 'connect' || apiVerb === 'deletecollection') return apiVerb.toUpperCase();
  if (method === 'PATCH' && contentType?.startsWith('application/apply-patch')) return 'APPLY';
  return method;
}
