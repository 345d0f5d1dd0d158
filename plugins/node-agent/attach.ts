// Serves `kite.node.<node>.attach` bus streams: a client joined to a running container's own stdio
// through the runtime (stdin to the container, its stdout on channel 1 and stderr on channel 2 —
// a terminal's output all on 1 —, terminal resizes), ending with a Success status when the
// container exits. A client leaving leaves the container running; the end of its stdin (the close
// frame, or leaving) closes a `stdinOnce` container's stdin.
import type { Bus, BusSubscription } from '../../kernel/bus/types.js';
import { subjects } from '../../kernel/bus/types.js';
import { ATTACH_CALL, CHANNEL, execStatus, type AttachStreamRequest } from '../../kernel/api/streams/protocol.js';
import { frame } from './exec.js';
import type { PodWorker } from './pod-worker.js';
import type { ContainerRuntime } from './runtime.js';

export function serveAttach(bus: Bus, nodeName: string, runtime: ContainerRuntime, findPod: (namespace: string, name: string) => PodWorker | undefined): BusSubscription {
  return bus.serveStreams(subjects.node(nodeName, ATTACH_CALL), async (stream, init) => {
    const req = init.json<AttachStreamRequest>();
    const worker = findPod(req.namespace, req.pod);
    if (!worker || (req.uid && worker.uid !== req.uid)) throw new Error(`pod ${req.pod} not found on node ${nodeName}`);
    const current = worker.records.get(req.container)?.current;
    if (!current || current.state !== 'running') throw new Error(`unable to upgrade connection: container not found ("${req.container}")`);
    if (!runtime.attachContainer) throw new Error('unable to upgrade connection: this node\'s container runtime does not support attach');
    const session = await runtime.attachContainer(current.id);
    session.onOutput((d, from) => stream.send(frame(from === 'stderr' ? CHANNEL.stderr : CHANNEL.stdout, d)));
    let clientGone = false;
    void (async () => {
      try {
        for await (const chunk of stream) {
          if (chunk[0] === CHANNEL.stdin && req.stdin) session.writeStdin(chunk.subarray(1));
          else if (chunk[0] === CHANNEL.close && chunk[1] === CHANNEL.stdin && req.stdin) session.closeStdin?.();
          else if (chunk[0] === CHANNEL.resize && req.tty) {
            const { Width, Height } = JSON.parse(Buffer.from(chunk.subarray(1)).toString()) as { Width?: number; Height?: number };
            if (Width && Height) session.resize(Width, Height);
          }
        }
      } catch {
        // The API server went away: same as the client leaving.
      }
      clientGone = true;
      if (req.stdin) session.closeStdin?.();
      session.detach();
    })();
    await session.exited;
    if (!clientGone) stream.send(frame(CHANNEL.status, JSON.stringify(execStatus(0))));
    stream.end();
  });
}
