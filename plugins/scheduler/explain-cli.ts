// `kite scheduler explain <pod> [-n NS] [-o json]`: connects to the cluster's NATS (the running
// kernel's, found in <data-dir>/kite.json, or --nats), builds the scheduler from the scheduler
// entry of the kernel configuration in use, syncs its cache and prints explainPod().
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelConfiguration, STATE_FILE, type KernelState } from '../../kernel/kernel.js';
import { createLogger } from '../../kernel/log.js';
import { connectKernelServices } from '../../kernel/services.js';
import { explainPod, formatExplain } from './explain.js';
import { createScheduler } from './scheduler.js';
import { setup } from './setup.js';

export interface SchedulerCommandOptions {
  dataDir: string;
  natsServers?: string[];
  configPath?: string;
  namespace?: string;
  output?: string;
  args: string[];
}

const USAGE = 'usage: kite scheduler explain POD [-n NAMESPACE] [-o json]';

export async function runSchedulerCommand(opts: SchedulerCommandOptions): Promise<string> {
  const [sub, podName, ...rest] = opts.args;
  if (sub !== 'explain' || !podName || rest.length) throw new Error(USAGE);
  if (opts.output !== undefined && opts.output !== 'json') throw new Error(`-o: only json is supported, got "${opts.output}"`);
  const statePath = join(opts.dataDir, STATE_FILE);
  const servers = opts.natsServers ?? (existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as KernelState).natsUrl.split(',') : undefined);
  if (!servers?.length) throw new Error(`no running kernel found (${statePath} is missing): start one with \`kite up\` or give --nats URL`);
  const config = kernelConfiguration({ dataDir: opts.dataDir, configPath: opts.configPath });
  const entry = config.plugins.find((p) => p.module === 'builtin:scheduler' && p.enabled) ?? config.plugins.find((p) => p.name === 'scheduler');
  const logger = createLogger({ component: 'kite-scheduler-explain' }, 'warn');
  const services = await connectKernelServices({ natsServers: servers, name: 'kite-scheduler-explain', logger });
  try {
    const scheduler = await createScheduler({ store: services.store, logger, metrics: services.metrics, config: setup(entry?.options), baseDir: config.baseDir });
    await scheduler.sync();
    try {
      const result = explainPod(scheduler, opts.namespace ?? 'default', podName);
      return opts.output === 'json' ? JSON.stringify(result, null, 2) + '\n' : formatExplain(result);
    } finally {
      await scheduler.stop();
    }
  } finally {
    await services.close();
  }
}
