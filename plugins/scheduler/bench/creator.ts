// The benchmark's pod creator: a client of its own (a worker thread with its own NATS connection
// and store, admission included) that creates a workload's pods, as scheduler_perf's client
// creates them through the API server beside the scheduler. The scheduler's thread then does only
// the scheduler's work; the creator competes for the machine's other core with nats-server.
import { Worker } from 'node:worker_threads';

interface Job {
  id: number;
  workload: string;
  kind: 'init' | 'measure';
  count: number;
  window: number;
}

type Reply = { id: number; error?: string } | { ready: true } | { fatal: string };

export class PodCreator {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(natsUrl: string) {
    this.worker = new Worker(new URL('./creator-worker.js', import.meta.url), { workerData: { natsUrl } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: Reply) => {
        if ('ready' in m) return resolve();
        if ('fatal' in m) {
          reject(new Error(`pod creator: ${m.fatal}`));
          for (const w of this.waiting.values()) w.reject(new Error(`pod creator: ${m.fatal}`));
          return this.waiting.clear();
        }
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (m.error) w?.reject(new Error(`pod creator: ${m.error}`));
        else w?.resolve();
      });
      this.worker.on('error', (e) => {
        reject(e);
        for (const w of this.waiting.values()) w.reject(e);
        this.waiting.clear();
      });
    });
  }

  /** Creates pods `0..count-1` of the workload's init or measured kind, `window` at a time. */
  async create(workload: string, kind: Job['kind'], count: number, window: number): Promise<void> {
    await this.ready;
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.worker.postMessage({ id, workload, kind, count, window } satisfies Job);
    return done;
  }

  async close(): Promise<void> {
    this.worker.postMessage('close');
    await new Promise((r) => setTimeout(r, 50));
    await this.worker.terminate();
  }
}
