// The kubelet's read-only HTTP endpoints, answered per node (one process may run many hollow nodes):
// `/healthz`, `/metrics` (the process's prom-client registry, without the series of other nodes in
// the same process), `/pods` (a v1 PodList of the pods this agent runs). Reached over the bus
// through the API server's `nodes/<node>/proxy/...` (see proxy.ts); nothing listens on a port.
import type { Registry } from 'prom-client';
import type { Pod } from './pod-types.js';

export interface EndpointAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const TEXT = 'text/plain; charset=utf-8';

function answer(status: number, contentType: string, body: string): EndpointAnswer {
  const bytes = Buffer.from(body);
  return { status, headers: { 'content-type': contentType, 'content-length': String(bytes.length) }, body: bytes };
}

/** Go's http.NotFound, which the kubelet's mux answers for unknown paths. */
export const notFoundAnswer = () => answer(404, TEXT, '404 page not found\n');

/**
 * The exposition text without samples labelled with another node: hollow nodes share a registry
 * (their series carry `node`), and each answers only for itself. Unlabelled series (the process's
 * own, e.g. `process_cpu_seconds_total`) stay.
 */
export function metricsForNode(text: string, nodeName: string): string {
  return text
    .split('\n')
    .filter((line) => {
      if (line.startsWith('#')) return true;
      const label = /[{,]node="((?:[^"\\]|\\.)*)"/.exec(line);
      return !label || label[1] === nodeName;
    })
    .join('\n');
}

export interface KubeletEndpointSources {
  nodeName: string;
  registry: Registry;
  /** The pods this agent runs, as last written (status included). */
  pods(): Iterable<Pod>;
  /** Brings gauges up to date before a scrape. */
  refreshMetrics(): void;
}

export class KubeletEndpoints {
  constructor(private readonly sources: KubeletEndpointSources) {}

  async answer(method: string, path: string): Promise<EndpointAnswer> {
    const pathname = path.split('?')[0]!;
    const route = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
    if (!['/healthz', '/metrics', '/pods'].includes(route)) return notFoundAnswer();
    if (method !== 'GET' && method !== 'HEAD') return answer(405, TEXT, 'Method Not Allowed\n');
    let out: EndpointAnswer;
    if (route === '/healthz') out = answer(200, TEXT, 'ok');
    else if (route === '/metrics') out = await this.metrics();
    else out = this.podList();
    return method === 'HEAD' ? { ...out, body: Buffer.alloc(0) } : out;
  }

  private async metrics(): Promise<EndpointAnswer> {
    const { registry, nodeName } = this.sources;
    this.sources.refreshMetrics();
    return answer(200, registry.contentType, metricsForNode(await registry.metrics(), nodeName));
  }

  private podList(): EndpointAnswer {
    const items = [...this.sources.pods()].map((p) => ({ ...p, apiVersion: 'v1', kind: 'Pod' }));
    return answer(200, 'application/json', JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items }));
  }
}
