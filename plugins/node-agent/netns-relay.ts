// A relay started inside a pod's network namespace (`nsenter --net=<path> node netns-relay.js <socket>`)
// because Node cannot switch namespaces per socket. It listens on a Unix socket (path-named, so
// reachable from the host's namespace); each connection names a port on its first line and is
// joined to localhost:<port> in the pod (port-forward), or names `<ip> <port>` and is joined to that
// address as seen from inside the pod (pods/proxy to the pod's own IP, whatever the host's routes
// say): the answer is `ok\n` then raw bytes both ways (half-close kept), or `error <message>\n`.
// It exits when its parent closes stdin or after an idle minute.
import { createServer, connect, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { dialError, dialReason } from './dial-error.js';

const IDLE_EXIT_MS = 60_000;

function dial(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, allowHalfOpen: true });
    s.once('connect', () => { s.off('error', reject); resolve(s); });
    s.once('error', reject);
  });
}

/** localhost as upstream means it: IPv4 first, then IPv6; the message names both failures. */
async function dialLocalhost(port: number): Promise<Socket> {
  try {
    return await dial('127.0.0.1', port);
  } catch (v4) {
    try {
      return await dial('::1', port);
    } catch (v6) {
      throw new Error(`failed to connect to localhost:${port} inside namespace, IPv4: dial tcp4 127.0.0.1:${port}: ${dialReason(v4)} IPv6 dial tcp6 [::1]:${port}: ${dialReason(v6)} `);
    }
  }
}

/** A named address, with Go's dial words on failure (what kube-apiserver's proxy errors show). */
async function dialAddress(host: string, port: number): Promise<Socket> {
  try {
    return await dial(host, port);
  } catch (e) {
    throw dialError(host, port, e);
  }
}

/** `<port>` → localhost:<port>; `<host> <port>` → that address. */
function dialTarget(line: string): Promise<Socket> {
  const [first, second] = line.trim().split(' ');
  return second === undefined ? dialLocalhost(Number(first)) : dialAddress(first!, Number(second));
}

function main(socketPath: string): void {
  let open = 0;
  let idle: NodeJS.Timeout | undefined;
  const exit = () => { rmSync(socketPath, { force: true }); process.exit(0); };
  const armIdle = () => { idle = setTimeout(exit, IDLE_EXIT_MS); };
  const server = createServer({ allowHalfOpen: true }, (client) => {
    open++;
    if (idle) clearTimeout(idle);
    client.once('close', () => { if (--open === 0) armIdle(); });
    let head = Buffer.alloc(0);
    const onHead = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(10);
      if (nl < 0) return;
      client.off('data', onHead);
      client.pause();
      const rest = head.subarray(nl + 1);
      dialTarget(head.subarray(0, nl).toString()).then((target) => {
        client.write('ok\n');
        if (rest.length) target.write(rest);
        client.pipe(target);
        target.pipe(client);
        client.on('error', () => target.destroy());
        target.on('error', () => client.destroy());
        client.once('close', () => target.destroy());
        target.once('close', () => client.destroy());
      }, (e: Error) => client.end(`error ${e.message}\n`));
    };
    client.on('data', onHead);
    client.on('error', () => undefined);
  });
  server.listen(socketPath, () => process.stdout.write('ready\n'));
  process.stdin.on('end', exit);
  process.stdin.on('error', exit);
  process.stdin.resume();
  armIdle();
}

main(process.argv[2]!);
