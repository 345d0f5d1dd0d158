// Serves `kite.node.<node>.portforward` bus streams: one forwarded TCP connection each, joined to
// localhost:<port> inside the pod's network namespace through a per-pod relay process
// (netns-relay.ts, started under nsenter on first use and kept while connections come), with the
// credit-based PortForwardPipe carrying the bytes so neither side buffers without limit.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bus, BusSubscription } from '../../kernel/bus/types.js';
import { subjects } from '../../kernel/bus/types.js';
import { PortForwardPipe } from '../../kernel/api/streams/pipe.js';
import { PORTFORWARD_CALL, type PortForwardStreamRequest } from '../../kernel/api/streams/protocol.js';
import type { PodWorker } from './pod-worker.js';
import type { ContainerRuntime } from './runtime.js';

const RELAY_SCRIPT = fileURLToPath(new URL('./netns-relay.js', import.meta.url));

interface Relay {
  child: ChildProcess;
  socketPath: string;
  netnsPath: string;
  ready: Promise<void>;
}

let relayCounter = 0;

export class PortForwarder {
  private readonly relays = new Map<string, Relay>();
  private subscription?: BusSubscription;

  constructor(
    private readonly bus: Bus,
    private readonly nodeName: string,
    private readonly runtime: ContainerRuntime,
    private readonly findPod: (namespace: string, name: string) => PodWorker | undefined,
  ) {}

  serve(): BusSubscription {
    this.subscription = this.bus.serveStreams(subjects.node(this.nodeName, PORTFORWARD_CALL), async (stream, init) => {
      const req = init.json<PortForwardStreamRequest>();
      const prefix = `error forwarding port ${req.port} to pod ${req.pod}, uid ${req.uid ?? ''}`;
      const worker = this.findPod(req.namespace, req.pod);
      if (!worker || (req.uid && worker.uid !== req.uid)) throw new Error(`${prefix}: pod not found on node ${this.nodeName}`);
      const sandbox = (await this.runtime.listSandboxes()).find((s) => s.podUid === worker.uid);
      if (!sandbox?.ready || !sandbox.netnsPath) throw new Error(`${prefix}: the pod has no running sandbox on node ${this.nodeName}`);
      let socket: Socket;
      try {
        socket = await this.dial(worker.uid, sandbox.netnsPath, req.port);
      } catch (e) {
        throw new Error(`${prefix}: failed to execute portforward in network namespace "${sandbox.netnsPath}": ${(e as Error).message}`);
      }
      await relayConnection(stream, socket);
    });
    return this.subscription;
  }

  /** The pod is gone: its relay goes too (it would keep the network namespace alive). */
  release(podUid: string): void {
    const relay = this.relays.get(podUid);
    if (!relay) return;
    this.relays.delete(podUid);
    relay.child.kill('SIGKILL');
    rmSync(relay.socketPath, { force: true });
  }

  stop(): void {
    this.subscription?.unsubscribe();
    for (const uid of [...this.relays.keys()]) this.release(uid);
  }

  private relayFor(podUid: string, netnsPath: string): Relay {
    const existing = this.relays.get(podUid);
    if (existing && existing.netnsPath === netnsPath && existing.child.exitCode === null && existing.child.signalCode === null) return existing;
    if (existing) this.release(podUid);
    // Unix socket paths are limited to 108 bytes: keep them short, under the temp directory.
    const socketPath = join(tmpdir(), `kite-pf-${process.pid}-${++relayCounter}.sock`);
    const child = spawn('nsenter', [`--net=${netnsPath}`, process.execPath, RELAY_SCRIPT, socketPath], { stdio: ['pipe', 'pipe', 'ignore'] });
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the port-forward relay exited (${code ?? 'signal'})`)));
      child.once('error', reject);
    });
    ready.catch(() => undefined);
    child.once('exit', () => { if (this.relays.get(podUid)?.child === child) this.relays.delete(podUid); });
    const relay: Relay = { child, socketPath, netnsPath, ready };
    this.relays.set(podUid, relay);
    return relay;
  }

  /**
   * A socket joined to localhost:<port> in the pod, or to `host`:<port> as seen from inside the
   * pod's network namespace; rejects with the relay's reason.
   */
  async dial(podUid: string, netnsPath: string, port: number, host?: string): Promise<Socket> {
    const relay = this.relayFor(podUid, netnsPath);
    await relay.ready;
    const socket = connect({ path: relay.socketPath, allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    socket.write(host ? `${host} ${port}\n` : `${port}\n`);
    let head = Buffer.alloc(0);
    for (;;) {
      const chunk = await new Promise<Buffer | null>((resolve, reject) => {
        const onData = (d: Buffer) => { cleanup(); resolve(d); };
        const onEnd = () => { cleanup(); resolve(null); };
        const onError = (e: Error) => { cleanup(); reject(e); };
        const cleanup = () => { socket.off('data', onData); socket.off('end', onEnd); socket.off('error', onError); };
        socket.on('data', onData);
        socket.once('end', onEnd);
        socket.once('error', onError);
      });
      if (!chunk) throw new Error('the port-forward relay closed the connection');
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(10);
      if (nl < 0) continue;
      const line = head.subarray(0, nl).toString();
      socket.pause();
      if (line !== 'ok') {
        socket.destroy();
        throw new Error(line.replace(/^error /, ''));
      }
      const rest = head.subarray(nl + 1);
      if (rest.length) socket.unshift(rest);
      return socket;
    }
  }
}

/** Bytes both ways between the bus stream and the pod socket, half-closes passed on, until both sides are done. */
async function relayConnection(stream: ConstructorParameters<typeof PortForwardPipe>[0], socket: Socket): Promise<void> {
  const pipe = new PortForwardPipe(stream);
  socket.on('data', (data: Buffer) => {
    if (!pipe.send(data)) {
      socket.pause();
      void pipe.whenWritable().then(() => socket.resume());
    }
  });
  socket.on('end', () => pipe.finish());
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.resume();
  const received = pipe.receive(
    (data) => new Promise<void>((resolve) => {
      if (socket.destroyed || socket.write(data)) return resolve();
      const done = () => { socket.off('drain', done); socket.off('close', done); resolve(); };
      socket.once('drain', done);
      socket.once('close', done);
    }),
    () => socket.end(),
  ).catch(() => undefined);
  // Whichever side finishes the connection first ends it for both.
  await Promise.race([closed, received]);
  socket.destroy();
  pipe.end();
}
