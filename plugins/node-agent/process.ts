// `kite node`: node agents in a process of their own, connected to the kernel over NATS. With
// hollow: true, `count` simulated nodes (`<nodeName>-0` … `-<count-1>`) share one connection.
import 'reflect-metadata';
import { join } from 'node:path';
import { connectKernelServices, type KernelServices } from '../../kernel/services.js';
import type { Logger } from '../../kernel/log.js';
import { createHollowRuntime } from '../runtime-hollow/index.js';
import { createRuncRuntime } from '../runtime-runc/index.js';
import { setup as runcSetup } from '../runtime-runc/setup.js';
import { NodeAgent } from './agent.js';
import { defaultNodeName } from './node-status.js';
import type { RuntimePlugin } from './runtime.js';
import { setup } from './setup.js';

export interface NodeProcessOptions {
  natsServers: string[];
  /** The kernel's data directory (images under `images/`, node state under `node/<name>/`). */
  dataDir: string;
  /** Node name (default: host name); with count > 1 the prefix of `<name>-<i>`. */
  nodeName?: string;
  hollow?: boolean;
  /** Number of hollow nodes (hollow only). */
  count?: number;
  /** Further node agent options (see setup.ts), e.g. leaseRenewSeconds. */
  agentOptions?: Record<string, unknown>;
  /** Options of the runc runtime (see plugins/runtime-runc/setup.ts). */
  runtimeOptions?: Record<string, unknown>;
  /** Time from start to running for hollow containers. */
  hollowStartDelayMs?: number;
  logger?: Logger;
}

export interface NodeProcess {
  nodes: string[];
  /** Stops the agents (containers keep running, adopted on the next start) and closes the connection. */
  stop(): Promise<void>;
}

export async function startNodeAgentProcess(opts: NodeProcessOptions): Promise<NodeProcess> {
  const count = opts.hollow ? Math.max(1, opts.count ?? 1) : 1;
  if (!opts.hollow && (opts.count ?? 1) > 1) throw new Error('--count needs --hollow: one machine runs one real node agent');
  const services: KernelServices = await connectKernelServices({ natsServers: opts.natsServers, name: 'kite-node', ...(opts.logger ? { logger: opts.logger } : {}) });
  const base = opts.nodeName ?? (opts.hollow ? 'hollow-node' : defaultNodeName());
  const started: Array<{ agent: NodeAgent; runtime: RuntimePlugin }> = [];
  try {
    for (let i = 0; i < count; i++) {
      const nodeName = count > 1 || opts.hollow ? `${base}-${i}` : base;
      const options = setup({ ...opts.agentOptions, nodeName, runtime: opts.hollow ? 'builtin:runtime-hollow' : 'builtin:runtime-runc' });
      const runtime = opts.hollow
        ? createHollowRuntime({ startDelayMs: opts.hollowStartDelayMs ?? 0 })
        : createRuncRuntime(runcSetup({ stateDir: join(opts.dataDir, 'node', nodeName, 'runtime'), ...opts.runtimeOptions }), opts.dataDir);
      const agent = new NodeAgent({ store: services.store, bus: services.bus, logger: services.logger, metrics: services.metrics, runtime, options, dataDir: opts.dataDir, hollow: opts.hollow });
      await runtime.start();
      await agent.start();
      started.push({ agent, runtime });
    }
  } catch (e) {
    for (const s of started) await s.agent.stop().then(() => s.runtime.stop()).catch(() => undefined);
    await services.close();
    throw e;
  }
  return {
    nodes: started.map((s) => s.agent.nodeName),
    stop: async () => {
      for (const s of started) {
        await s.agent.stop();
        await s.runtime.stop();
      }
      await services.close();
    },
  };
}
