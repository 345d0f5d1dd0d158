// Serves `kite.node.<node>.logs` bus streams: the log file of a container instance (current or
// previous), optionally only the last lines, and followed until the container exits or the
// requester goes away. Errors carry upstream's messages (the API server answers 400 with them).
import { copyFile, open, stat, truncate } from 'node:fs/promises';
import type { Bus, BusStream, BusSubscription } from '../../kernel/bus/types.js';
import { subjects } from '../../kernel/bus/types.js';
import { LOGS_CALL, type LogStreamRequest } from '../../kernel/api/streams/protocol.js';
import { wantsRestart } from './pod-status.js';
import type { PodWorker } from './pod-worker.js';

const CHUNK = 64 * 1024;
const FOLLOW_POLL_MS = 200;

export function serveLogs(bus: Bus, nodeName: string, findPod: (namespace: string, name: string) => PodWorker | undefined): BusSubscription {
  return bus.serveStreams(subjects.node(nodeName, LOGS_CALL), async (stream, init) => {
    const req = init.json<LogStreamRequest>();
    const worker = findPod(req.namespace, req.pod);
    if (!worker || (req.uid && worker.uid !== req.uid)) throw new Error(`pods "${req.pod}" not found on node ${nodeName}`);
    await streamLogs(stream, worker, req);
  });
}

/** The lines after the last `n` newlines (n counted from the end, ignoring a trailing newline). */
export function tail(data: Buffer, lines: number): Buffer {
  if (lines <= 0) return Buffer.alloc(0);
  let end = data.length;
  if (end > 0 && data[end - 1] === 0x0a) end--;
  let pos = end;
  for (let seen = 0; pos > 0; pos--) {
    if (data[pos - 1] === 0x0a && ++seen === lines) break;
  }
  return data.subarray(pos);
}

async function streamLogs(stream: BusStream, worker: PodWorker, req: LogStreamRequest): Promise<void> {
  const pod = worker.current;
  const names = pod.spec.containers.map((c) => c.name);
  const name = req.container || (names.length === 1 ? names[0]! : undefined);
  if (!name) {
    const inits = (pod.spec.initContainers ?? []).map((c) => c.name);
    throw new Error(`a container name must be specified for pod ${req.pod}, choose one of: [${names.join(' ')}]${inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : ''}`);
  }
  const record = worker.records.get(name);
  if (!record) throw new Error(`container ${name} is not valid for pod ${req.pod}`);
  const restartPending = wantsRestart(record, pod.spec.restartPolicy ?? 'Always');
  const instance = req.previous ? (restartPending ? record.current : record.previous) : record.current;
  if (!instance) {
    if (req.previous) throw new Error(`previous terminated container "${name}" in pod "${req.pod}" not found`);
    throw new Error(`container "${name}" in pod "${req.pod}" is waiting to start: ${record.waiting?.reason ?? 'ContainerCreating'}`);
  }
  let peerGone = false;
  stream.closed.then(() => { peerGone = true; }, () => { peerGone = true; });
  const file = await open(instance.logPath, 'r').catch(() => undefined);
  let sent = 0;
  const limit = req.limitBytes && req.limitBytes > 0 ? req.limitBytes : Infinity;
  const send = (buf: Buffer) => {
    const part = buf.subarray(0, Math.max(0, limit - sent));
    for (let i = 0; i < part.length; i += CHUNK) stream.send(part.subarray(i, i + CHUNK));
    sent += part.length;
  };
  try {
    let offset = 0;
    if (file) {
      const data = await file.readFile();
      offset = data.length;
      send(req.tailLines !== undefined && req.tailLines >= 0 ? tail(data, req.tailLines) : data);
    }
    const following = () => req.follow && !req.previous && record.current?.id === instance.id && record.current.state !== 'exited';
    while (following() && !peerGone && sent < limit) {
      await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
      offset = await sendGrowth(instance.logPath, offset, send);
    }
    if (req.follow && !peerGone) await sendGrowth(instance.logPath, offset, send);
  } finally {
    await file?.close();
  }
  stream.end();
}

async function sendGrowth(path: string, offset: number, send: (b: Buffer) => void): Promise<number> {
  const size = await stat(path).then((s) => s.size, () => offset);
  if (size <= offset) return size < offset ? 0 : offset; // truncated (rotated): start again
  const f = await open(path, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    await f.read(buf, 0, buf.length, offset);
    send(buf);
  } finally {
    await f.close();
  }
  return size;
}

/**
 * Size cap for the running instances' logs ("copytruncate": the container keeps its O_APPEND
 * descriptor, so the file is copied to `<log>.1` and truncated in place). Returns rotated paths.
 */
export async function rotateLogs(workers: Iterable<PodWorker>, maxBytes: number): Promise<string[]> {
  const rotated: string[] = [];
  for (const w of workers) {
    for (const r of w.records.values()) {
      const c = r.current;
      if (!c || c.state !== 'running') continue;
      const size = await stat(c.logPath).then((s) => s.size, () => 0);
      if (size <= maxBytes) continue;
      await copyFile(c.logPath, `${c.logPath}.1`);
      await truncate(c.logPath, 0);
      rotated.push(c.logPath);
    }
  }
  return rotated;
}
