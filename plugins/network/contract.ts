// The NetworkPlugin contract between the node agent (kubelet role) and a pod network plugin
// (the CNI host in this folder, or a vendor's). The agent creates a sandbox (network namespace),
// asks the network plugin to attach it, and reports the IPs it gets as the pod's podIP/podIPs.

/** DI token: an interface and its token share one name. */
export const PodNetwork = Symbol.for('kite.PodNetwork');

export interface PodAttachment {
  /** The sandbox id (CNI_CONTAINERID). */
  sandboxId: string;
  /** The sandbox's network namespace (CNI_NETNS), e.g. /proc/<pid>/ns/net. */
  netnsPath: string;
  podUid: string;
  namespace: string;
  name: string;
  /** hostPort mappings of the pod's containers (handed to plugins with the portMappings capability). */
  portMappings?: Array<{ hostPort: number; containerPort: number; protocol: string; hostIP?: string }>;
}

export interface PodNetworkResult {
  /** The pod's IPs, primary first. */
  ips: string[];
}

export interface NetworkReadiness {
  ready: boolean;
  /** Upstream-style reason, e.g. NetworkPluginNotReady. */
  reason: string;
  message: string;
}

/** A network setup that failed; `message` is the plugin's own words (for FailedCreatePodSandBox). */
export class PodNetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PodNetworkError';
  }
}

export interface PodNetwork {
  /** Whether pods can be attached now (config present and valid, node range known). */
  readiness(): NetworkReadiness;
  /** Called whenever readiness changes. */
  onReadinessChange(listener: () => void): void;
  /** Attaches the sandbox; idempotent for an attachment already made (returns its cached result). Throws PodNetworkError. */
  setUp(pod: PodAttachment): Promise<PodNetworkResult>;
  /** The result of an attachment made earlier (also by a previous agent process), without running anything. */
  attached(sandboxId: string): Promise<PodNetworkResult | undefined>;
  /** Detaches (CNI DEL with the cached result); idempotent, also when the namespace is gone. */
  tearDown(sandboxId: string): Promise<void>;
  /** Verifies an attachment (CNI CHECK); throws PodNetworkError. */
  check(sandboxId: string): Promise<void>;
  /**
   * Detaches every attachment whose sandbox is not in `keep` (after a crash), then runs the
   * plugins' GC. Attachments made at or after `madeBefore` (ms since the epoch) are left alone.
   */
  garbageCollect(keep: string[], madeBefore?: number): Promise<void>;
}

/** What a NetworkPlugin plugin's factory builds. */
export type NetworkPluginInstance = PodNetwork & { start(): Promise<void>; stop(): Promise<void> };
