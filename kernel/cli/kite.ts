#!/usr/bin/env node
// The `kite` command line.
import 'reflect-metadata';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../paths.js';
import { versionInfo } from '../version.js';

const usage = `Usage: kite <command> [flags]

Commands:
  up        Start Kite on this machine: embedded NATS (unless --nats), the kernel, the API server
            and the configured plugins. Writes <data-dir>/kubeconfig.
  server    Start a kernel (API server + plugins) that joins an existing NATS cluster (--nats).
  node      Run a node agent that joins the cluster (--nats, or the local kernel's NATS);
            --hollow --count N runs N simulated nodes; --name sets the node name.
  image     Local image store: image ls | rm REF | load PATH [--name REF] | pull REF |
            build REF --from-host BIN [BIN...]
  plugins   Show the plugins of the running kernel (or of the configuration when none runs).
  scheduler explain POD [-n NS] [-o json]
            Dry-run one scheduling cycle for POD: per node the filter that rejected it, or the
            raw, normalized and weighted score per plugin, and the node it would pick.
  reset     Undo what Kite left on this machine for the data directory (after a kill or a stop):
            containers, sandboxes, supervisors, mounts, cgroups, pod networks, node namespaces,
            nats-server, then what Kite made in the directory (kite.yaml is kept; the image
            stores too with --keep-images). Refuses while Kite runs on it; asks first on a
            terminal, else needs -f.
  version   Print Kite's version, the kernel API version and the Kubernetes API version served.

Flags (up, server, plugins):
  --data-dir DIR     State, PKI and kubeconfig (default: $KITE_DATA_DIR, /var/lib/kite as root, else ~/.kite)
  --nats URL[,URL]   Join these NATS servers instead of starting an embedded one
  --config FILE      KernelConfiguration YAML (default: <data-dir>/kite.yaml if present, else built-in)
  --address ADDR     API server listen address (default 127.0.0.1)
  --port N           API server port (default 6443; 0 picks a free port)
  --nodes N          (up) N node agents kite-node-1..N, each in its own network namespace acting
                     as a host on a private 172.30.x.0/24 bridge; removed again on exit

Flags (reset):
  --data-dir DIR     The data directory to reset (default as above)
  --config FILE      The configuration Kite ran with, for state it keeps elsewhere (default as above)
  -f, --force        Do not ask for confirmation
  --keep-images      Keep the image stores (<data-dir>/images, <data-dir>/node/*/images)
  -o json            Print what was removed as JSON
`;

function fail(msg: string, code = 1): never {
  process.stderr.write(`kite: ${msg}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      'data-dir': { type: 'string' },
      nats: { type: 'string' },
      config: { type: 'string' },
      address: { type: 'string' },
      port: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
      name: { type: 'string' },
      hollow: { type: 'boolean' },
      count: { type: 'string' },
      'from-host': { type: 'boolean' },
      namespace: { type: 'string', short: 'n' },
      nodes: { type: 'string' },
      force: { type: 'boolean', short: 'f' },
      'keep-images': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help || !command || command === 'help') {
    process.stdout.write(usage);
    return;
  }
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
  const natsServers = values.nats?.split(',').map((s) => s.trim()).filter(Boolean);
  switch (command) {
    case 'version': {
      const v = versionInfo();
      if (values.output === 'json') process.stdout.write(JSON.stringify(v, null, 2) + '\n');
      else process.stdout.write(`Kite ${v.kite} (kernel API ${v.kernelApi}, Kubernetes API ${v.kubernetes}, Node ${v.node})\n`);
      return;
    }
    case 'up':
    case 'server': {
      if (command === 'server' && !natsServers?.length) fail('server joins an existing NATS cluster: give --nats URL[,URL] (or use `kite up`)', 2);
      const port = values.port === undefined ? 6443 : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: must be an integer between 0 and 65535, got "${values.port}"`, 2);
      const nodes = values.nodes === undefined ? undefined : Number(values.nodes);
      if (nodes !== undefined && (command !== 'up' || !Number.isInteger(nodes) || nodes < 1 || nodes > 200)) fail(`--nodes: must be an integer between 1 and 200 (kite up only), got "${values.nodes}"`, 2);
      if (nodes !== undefined && natsServers?.length) fail('--nodes: the node namespaces reach only the embedded nats-server (on the private node network); drop --nats', 2);
      (await import('./running.js')).recordRunning(dataDir, command);
      const { startKernel } = await import('../kernel.js');
      const kernel = await startKernel({ dataDir, natsServers, configPath: values.config, apiHost: values.address, apiPort: port, ...(nodes ? { nodes } : {}) });
      process.stdout.write(
        `Kite is up: API ${kernel.apiUrl}, NATS ${kernel.natsUrl}\n` +
          `  export KUBECONFIG=${kernel.kubeconfigPath}\n` +
          `  kubectl get namespaces\n`,
      );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`kite: ${signal}: stopping\n`);
        kernel.stop().then(() => process.exit(0), (e: unknown) => fail(`stop failed: ${(e as Error).message}`));
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      return;
    }
    case 'node': {
      (await import('./running.js')).recordRunning(dataDir, command);
      const { runNode } = await import('./node.js');
      await runNode({ dataDir, natsServers, name: values.name, hollow: values.hollow, count: values.count });
      return;
    }
    case 'image': {
      const { runImage } = await import('./node.js');
      process.stdout.write(await runImage(dataDir, positionals, values.name));
      return;
    }
    case 'plugins': {
      const { showPlugins } = await import('./plugins.js');
      process.stdout.write(await showPlugins({ dataDir, natsServers, configPath: values.config, output: values.output }));
      return;
    }
    case 'reset': {
      const { runResetCommand } = await import('./reset.js');
      process.exitCode = await runResetCommand({ dataDir, configPath: values.config, force: !!values.force, keepImages: !!values['keep-images'], output: values.output });
      return;
    }
    case 'scheduler': {
      const { runSchedulerCommand } = await import('../../plugins/scheduler/explain-cli.js');
      process.stdout.write(await runSchedulerCommand({ dataDir, natsServers, configPath: values.config, namespace: values.namespace, output: values.output, args: positionals }));
      return;
    }
    default:
      fail(`unknown command "${command}"\n\n${usage}`, 2);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));

