// The bus call behind the metrics.k8s.io API: the API server asks a node agent (kubelet role) for
// the resource usage it sampled, as metrics-server scrapes the kubelets' resource metrics.
// Request/reply on `kite.node.<node>.metrics`.

export const METRICS_CALL = 'metrics';

export interface ResourceMetricsRequest {
  /** `node`: only the node's own usage; `pods`: only the pods' (saves work on lists of the other kind). */
  want: 'node' | 'pods';
}

/** A rate over the window between the agent's last two samples. */
export interface UsageWindow {
  /** RFC 3339 time of the newer sample. */
  timestamp: string;
  /** Time between the two samples, in seconds. */
  windowSeconds: number;
}

export interface ResourceUsage {
  /** CPU as a rate: CPU-nanoseconds per second. */
  cpuNanoCores: number;
  /** Memory working set in bytes. */
  memoryBytes: number;
}

export interface PodUsage extends UsageWindow {
  namespace: string;
  name: string;
  uid: string;
  containers: Array<ResourceUsage & { name: string }>;
}

export interface ResourceMetricsReply {
  /** Absent until the agent has two samples (or when not asked). */
  node?: UsageWindow & ResourceUsage;
  /** Running pods with at least one container that has two samples. */
  pods: PodUsage[];
}
