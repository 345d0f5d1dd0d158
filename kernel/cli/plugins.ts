// `kite plugins`: the statuses of the running kernel's plugins, asked over the bus; without a
// running kernel, the plugins the configuration would load (validated).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NatsBus } from '../bus/nats-bus.js';
import { subjects } from '../bus/types.js';
import { kernelConfiguration, STATE_FILE, type KernelState } from '../kernel.js';
import type { PluginStatus } from '../plugin/types.js';
import { formatPluginTable } from '../plugin/table.js';
import { connectNats } from '../services.js';

export interface ShowPluginsOptions {
  dataDir: string;
  natsServers?: string[];
  configPath?: string;
  output?: string;
}

export async function showPlugins(opts: ShowPluginsOptions): Promise<string> {
  const statePath = join(opts.dataDir, STATE_FILE);
  const servers = opts.natsServers ?? (existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as KernelState).natsUrl.split(',') : undefined);
  if (servers) {
    const nc = await connectNats(servers, 'kite-cli').catch(() => undefined);
    if (nc) {
      try {
        const reply = await new NatsBus(nc).request(subjects.kernelPlugins, undefined, { timeoutMs: 3000 });
        const statuses = reply.json<PluginStatus[]>();
        return opts.output === 'json' ? JSON.stringify(statuses, null, 2) + '\n' : formatPluginTable(statuses);
      } catch {
        // No kernel answering: fall through to the configuration.
      } finally {
        await nc.close();
      }
    }
  }
  const config = kernelConfiguration(opts);
  const lines = ['No running kernel answered; plugins in the configuration:', 'NAME  MODULE  PLACEMENT  ENABLED'];
  for (const p of config.plugins) lines.push(`${p.name}  ${p.module}  ${p.placement}  ${p.enabled}`);
  return lines.join('\n') + '\n';
}
