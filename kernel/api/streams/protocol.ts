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
