// `kite node` and `kite image`: the node agent as its own process, and the local image store.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_FILE, type KernelState } from '../kernel.js';
import { startNodeAgentProcess } from '../../plugins/node-agent/process.js';
import { buildHostImage, listImages, loadImages, pullImageCommand, removeImage } from '../../plugins/runtime-runc/images/commands.js';

export async function runNode(opts: { dataDir: string; natsServers?: string[]; name?: string; hollow?: boolean; count?: string }): Promise<void> {
  const statePath = join(opts.dataDir, STATE_FILE);
  const natsServers = opts.natsServers ?? (existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as KernelState).natsUrl.split(',') : undefined);
  if (!natsServers) throw new Error(`node: no --nats given and no running kernel found in ${opts.dataDir}`);
  const count = opts.count === undefined ? 1 : Number(opts.count);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--count: must be a positive integer, got "${opts.count}"`);
  const node = await startNodeAgentProcess({ natsServers, dataDir: opts.dataDir, nodeName: opts.name, hollow: opts.hollow, count });
  process.stdout.write(`kite node: ${node.nodes.length} node(s) registered: ${node.nodes.slice(0, 5).join(', ')}${node.nodes.length > 5 ? ', ...' : ''}\n`);
  const stop = () => node.stop().then(() => process.exit(0), () => process.exit(1));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

export async function runImage(dataDir: string, args: string[], name?: string): Promise<string> {
  const [verb, ...rest] = args;
  switch (verb) {
    case 'ls': {
      const rows = await listImages(dataDir);
      return rows.map((r) => r.join('\t')).join('\n') + '\n';
    }
    case 'rm':
      if (!rest[0]) throw new Error('image rm: give an image reference');
      await removeImage(dataDir, rest[0]);
      return `removed ${rest[0]}\n`;
    case 'load':
      if (!rest[0]) throw new Error('image load: give an OCI layout directory or a tarball');
      return (await loadImages(dataDir, rest[0], name)).map((n) => `loaded ${n}`).join('\n') + '\n';
    case 'pull':
      if (!rest[0]) throw new Error('image pull: give an image reference');
      return (await pullImageCommand(dataDir, rest[0])) + '\n';
    case 'build': {
      const [ref, ...bins] = rest;
      if (!ref || bins.length === 0) throw new Error('image build: kite image build NAME --from-host BIN [BIN...]');
      const img = await buildHostImage(dataDir, ref, bins);
      return `built ${ref} ${JSON.stringify(img).slice(0, 200)}\n`;
    }
    default:
      throw new Error(`image: unknown subcommand "${verb ?? ''}" (ls, rm, load, pull, build)`);
  }
}
