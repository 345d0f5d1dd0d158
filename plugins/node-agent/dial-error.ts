// Go's words for a failed TCP dial (`dial tcp 10.244.0.5:8080: connect: connection refused`), which
// kube-apiserver's proxy and port-forward errors show; shared by the agent and its netns relay.

/** `host:port`, IPv6 hosts in brackets as Go's net.JoinHostPort writes them. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The reason part of a Go dial error for a Node socket error. */
export function dialReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connect: connection refused';
  if (code === 'EHOSTUNREACH') return 'connect: no route to host';
  if (code === 'ENETUNREACH') return 'connect: network is unreachable';
  if (code === 'ETIMEDOUT') return 'i/o timeout';
  return (e as Error).message;
}

export function dialError(host: string, port: number, e: unknown): Error {
  return new Error(`dial tcp ${joinHostPort(host, port)}: ${dialReason(e)}`);
}
