// Serves `kite.node.<node>.exec` bus streams: runs a command in a running container and relays
// stdin/stdout/stderr in the Kubernetes channel framing, ending with the status frame (channel 3).
import type { Bus, BusSubscription } from '../../kernel/bus/types.js';
import { subjects } from '../../kernel/bus/types.js';
import { CHANNEL, EXEC_CALL, execStatus, type ExecStreamRequest } from '../../kernel/api/streams/protocol.js';
import type { PodWorker } from './pod-worker.js';
import type { ContainerRuntime, ExecProcess } from './runtime.js';

export function frame(channel: number, data: Uint8Array | string): Uint8Array {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const out = new Uint8Array(body.length + 1);
  out[0] = channel;
  out.set(body, 1);
  return out;
}

function deliver(proc: ExecProcess, chunk: Uint8Array): void {
  if (chunk[0] === CHANNEL.stdin) proc.writeStdin(chunk.subarray(1));
  else if (chunk[0] === CHANNEL.close && chunk[1] === CHANNEL.stdin) proc.closeStdin();
}

export function serveExec(bus: Bus, nodeName: string, runtime: ContainerRuntime, findPod: (namespace: string, name: string) => PodWorker | undefined): BusSubscription {
  return bus.serveStreams(subjects.node(nodeName, EXEC_CALL), async (stream, init) => {
    const req = init.json<ExecStreamRequest>();
    const worker = findPod(req.namespace, req.pod);
    if (!worker || (req.uid && worker.uid !== req.uid)) throw new Error(`pod ${req.pod} not found on node ${nodeName}`);
    const current = worker.records.get(req.container)?.current;
    if (!current || current.state !== 'running') throw new Error(`unable to upgrade connection: container not found ("${req.container}")`);
    // With a TTY, kubectl sends the terminal size first (channel 4); the terminal is made that size.
    let proc: ExecProcess | undefined;
    let latest: { cols: number; rows: number } | undefined;
    const early: Uint8Array[] = [];
    let inputEnded = false;
    let sized!: (size?: { cols: number; rows: number }) => void;
    const size = new Promise<{ cols: number; rows: number } | undefined>((resolve) => { sized = resolve; });
    const input = (async () => {
      try {
        for await (const chunk of stream) {
          if (chunk[0] === CHANNEL.resize) {
            const { Width, Height } = JSON.parse(Buffer.from(chunk.subarray(1)).toString()) as { Width?: number; Height?: number };
            const next = Width && Height ? { cols: Width, rows: Height } : undefined;
            // Before the start the size is the new terminal's; later ones (kubectl's SIGWINCH) resize it.
            if (!proc) {
              latest = next ?? latest;
              sized(next);
            } else if (next && req.tty) proc.resize?.(next.cols, next.rows);
          } else if (!proc) early.push(chunk);
          else deliver(proc, chunk);
        }
      } catch {
        proc?.kill();
      }
      inputEnded = true;
      sized(undefined);
      proc?.closeStdin();
    })();
    const tty = req.tty ? (await Promise.race([size, new Promise<undefined>((r) => setTimeout(() => r(undefined), 300))])) ?? { cols: 80, rows: 24 } : undefined;
    proc = runtime.execStream(current.id, req.command, tty);
    const started = proc;
    if (tty && latest && (latest.cols !== tty.cols || latest.rows !== tty.rows)) started.resize?.(latest.cols, latest.rows);
    started.onStdout((d) => stream.send(frame(CHANNEL.stdout, d)));
    started.onStderr((d) => stream.send(frame(CHANNEL.stderr, d)));
    if (!req.stdin) started.closeStdin();
    for (const chunk of early.splice(0)) deliver(started, chunk);
    if (inputEnded) started.closeStdin();
    void input;
    const code = await proc.exited;
    stream.send(frame(CHANNEL.status, JSON.stringify(execStatus(code))));
    stream.end();
  });
}
