// Worker thread of PodCreator (creator.ts): its own connection and store, pods created pipelined.
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from 'nats';
import { createLogger } from '../../../kernel/log.js';
import { ResourceRegistry } from '../../../kernel/objects/registry.js';
import { createAdmission } from '../../../kernel/objects/validation/mod.js';
import { openObjectStore } from '../../../kernel/store/mod.js';
import { NAMESPACES, PODS } from '../binding.js';
import { pipelined } from './pipelined.js';
import { WORKLOADS } from './workloads.js';

const port = parentPort!;

async function main(): Promise<void> {
  const nc = await connect({ servers: (workerData as { natsUrl: string }).natsUrl });
  // Like scheduler_perf's client, it only writes: it caches namespaces (for the create check) and
  // receives none of the scheduler's bindings and Events.
  const store = await openObjectStore(nc, { admission: createAdmission(new ResourceRegistry()), logger: createLogger({}, 'error'), cacheOnly: NAMESPACES });
  port.on('message', (m: 'close' | { id: number; workload: string; kind: 'init' | 'measure'; count: number; window: number }) => {
    if (m === 'close') {
      void store.close().then(() => nc.close()).catch(() => undefined);
      return;
    }
    const w = WORKLOADS.find((x) => x.name === m.workload);
    if (!w) return port.postMessage({ id: m.id, error: `unknown workload ${m.workload}` });
    const make = m.kind === 'init' ? (i: number) => w.initPod(i) : (i: number) => w.measurePod(i);
    pipelined(m.count, m.window, (i) => store.create(PODS, make(i))).then(
      () => port.postMessage({ id: m.id }),
      (e: Error) => port.postMessage({ id: m.id, error: e.message }),
    );
  });
  port.postMessage({ ready: true });
}

main().catch((e: Error) => port.postMessage({ fatal: e.message }));
