// What the API server asks a node agent over the bus for node-directed streams.
// Subject: subjects.node(nodeName, 'logs') → `kite.node.<node>.logs`, opened with Bus.openStream.

/** Init message of a logs stream (the query of GET /api/v1/namespaces/<ns>/pods/<pod>/log). */
export interface LogStreamRequest {
  namespace: string;
  pod: string;
  /** The pod's uid, so a recreated pod of the same name is not mistaken for the old one. */
  uid?: string;
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tailLines?: number;
  limitBytes?: number;
}

export const LOGS_CALL = 'logs';

/**
 * Init message of an exec stream (`kite.node.<node>.exec`). Chunks in both directions use the
 * Kubernetes channel framing: first byte the channel (0 stdin, 1 stdout, 2 stderr, 3 status JSON),
 * `[255, 0]` closes stdin. The node ends the stream after the status.
 */
export interface ExecStreamRequest {
  namespace: string;
  pod: string;
  uid?: string;
  container: string;
  command: string[];
  stdin: boolean;
  tty: boolean;
}

export const EXEC_CALL = 'exec';

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

/** The status frame body upstream sends on channel 3 when the command ends. */
export function execStatus(exitCode: number, message?: string): object {
  if (exitCode === 0 && !message) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: message ?? `command terminated with non-zero exit code: exit status ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/**
 * Init message of a port-forward stream (`kite.node.<node>.portforward`): one per forwarded TCP
 * connection. Chunks in both directions are `PortForwardPipe` frames (see pipe.ts). The node fails
 * the stream with the upstream message when nothing listens on the port.
 */
export interface PortForwardStreamRequest {
  namespace: string;
  pod: string;
  uid?: string;
  port: number;
}

export const PORTFORWARD_CALL = 'portforward';

/**
 * Init message of an attach stream (`kite.node.<node>.attach`): the container's own stdio, in the
 * same channel framing as exec. The node ends the stream with a status frame when the container
 * exits; the container keeps running when the client leaves.
 */
export interface AttachStreamRequest {
  namespace: string;
  pod: string;
  uid?: string;
  container: string;
  stdin: boolean;
  tty: boolean;
}

export const ATTACH_CALL = 'attach';

/**
 * Init message of a proxy stream (`kite.node.<node>.proxy`): one HTTP request relayed to the node
 * agent, for `nodes/<node>/proxy/...` (the agent's own kubelet endpoints) or, with `pod`, for
 * `pods/<pod>/proxy/...` (the agent makes the request to the pod). Both directions carry
 * `PortForwardPipe` frames: toward the node the request body then a half-close; back, the first
 * data frame is the JSON `ProxyResponseHead`, then the response body, then a half-close. A failure
 * before the head (nothing listens, pod gone) fails the stream with a sentence.
 */
export interface ProxyStreamRequest {
  method: string;
  /** Path and query on the target, starting with `/`. */
  path: string;
  headers: Record<string, string | string[]>;
  pod?: ProxyPodTarget;
}

export interface ProxyPodTarget {
  namespace: string;
  name: string;
  uid?: string;
  port: number;
  scheme: 'http' | 'https';
}

export interface ProxyResponseHead {
  status: number;
  headers: Record<string, string | string[]>;
}

export const PROXY_CALL = 'proxy';

/** Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy does not pass on, in either direction. */
export const HOP_BY_HOP_HEADERS = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** The headers of `headers` a proxy passes on: no hop-by-hop ones, none the Connection header names. */
export function endToEndHeaders(headers: Record<string, string | string[] | undefined>, drop: readonly string[] = []): Record<string, string | string[]> {
  const named = String(headers.connection ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || HOP_BY_HOP_HEADERS.has(lower) || named.includes(lower) || drop.includes(lower)) continue;
    out[lower] = value;
  }
  return out;
}
