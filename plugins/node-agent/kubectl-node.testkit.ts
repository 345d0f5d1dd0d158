// Test harness: a real nats-server, the kernel services with the API server's admission, the
// HTTPS API server with the node stream handlers, and one runc node agent (`w1`), driven by the
// real kubectl. Teardown stops the agent, removes every sandbox and cgroup, and the data dir.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer } from '../../kernel/api/mod.js';
import { nodeStreamHandlers } from '../../kernel/api/streams/mod.js';
import { ensureNamespaces } from '../../kernel/kernel.js';
import { createLogger } from '../../kernel/log.js';
import { ResourceRegistry } from '../../kernel/objects/registry.js';
import { createAdmission } from '../../kernel/objects/validation/mod.js';
import { connectKernelServices } from '../../kernel/services.js';
import { KUBECTL } from '../../kernel/testing/kite.js';
import { startTestNats } from '../../kernel/testing/nats.js';
import { createRuncRuntime } from '../runtime-runc/index.js';
import { setup as runcSetup } from '../runtime-runc/setup.js';
import { NodeAgent } from './agent.js';
import { setup } from './setup.js';
import { cleanupCgroupParent } from './testkit.js';

export interface KubectlResult { code: number; stdout: string; stderr: string }

export interface KubectlNode {
  dataDir: string;
  /** The test's nats-server, for more node agents (e.g. hollow ones) beside `w1`. */
  natsUrl: string;
  /** `--kubeconfig … --cache-dir …`, for kubectl processes a test starts itself. */
  kubectlBase: string[];
  kubeconfigPath: string;
  cacheDir: string;
  kubectl(args: string[], stdin?: string, env?: Record<string, string>): Promise<KubectlResult>;
  /** Polls `kubectl args` until stdout matches (30 s), or throws naming `what`. */
  waitFor(args: string[], pattern: RegExp, what: string): Promise<KubectlResult>;
  /** `kubectl apply`s a one-container busybox pod on the node and, if that worked, waits until it is 1/1 Running. */
  runPod(name: string, pod: TestPod): Promise<KubectlResult>;
}

export interface TestPod {
  command: string[];
  container?: string;
  labels?: Record<string, string>;
  stdin?: boolean;
  tty?: boolean;
  terminationGracePeriodSeconds?: number;
}

interface Teardownable {
  teardown(fn: () => unknown): void;
}

/** `agentOptions` go to the node agent's setup() beside `nodeName: w1` (e.g. a short metricsResolutionSeconds). */
export async function startKubectlNode(t: Teardownable, name: string, agentOptions: Record<string, unknown> = {}): Promise<KubectlNode> {
  const nats = await startTestNats(t);
  const logger = createLogger({}, 'error');
  const registry = new ResourceRegistry();
  const services = await connectKernelServices({ natsServers: [nats.url], name: 'test', logger, admission: createAdmission(registry) });
  t.teardown(() => services.close());
  await ensureNamespaces(services.store);
  const dataDir = mkdtempSync(join(tmpdir(), `kite-node-${name}-`));
  const cacheDir = join(dataDir, 'kubectl-cache');
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const api = await createApiServer({ dataDir, port: 0, registry, services, logger, ready: () => true, subresourceHandlers: nodeStreamHandlers });
  t.teardown(() => api.close());

  const cgroupParent = `kite-test-${process.pid}-${name}`;
  const runtime = createRuncRuntime(runcSetup({ stateDir: join(dataDir, 'node', 'w1', 'runtime'), imageDir: join(dataDir, 'images'), cgroupParent, exitPollMs: 100 }), dataDir);
  const agent = new NodeAgent({ store: services.store, bus: services.bus, logger, runtime, options: setup({ nodeName: 'w1', ...agentOptions }), dataDir });
  t.teardown(async () => {
    await agent.stop();
    for (const s of await runtime.listSandboxes()) await runtime.removeSandbox(s.id);
    await runtime.stop();
    cleanupCgroupParent(cgroupParent);
  });
  await runtime.start();
  await agent.start();

  const kubectlBase = ['--kubeconfig', api.kubeconfigPath, '--cache-dir', cacheDir];
  const kubectl = (args: string[], stdin?: string, env?: Record<string, string>) => new Promise<KubectlResult>((resolve) => {
    const child = execFile(KUBECTL, [...kubectlBase, ...args], { timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
  const waitFor = async (args: string[], pattern: RegExp, what: string) => {
    let last: KubectlResult | undefined;
    for (let i = 0; i < 150; i++) {
      last = await kubectl(args);
      if (pattern.test(last.stdout)) return last;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${what}: kubectl ${args.join(' ')} never matched ${pattern}; last: ${JSON.stringify(last)}`);
  };
  const runPod = async (name: string, pod: TestPod) => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, ...(pod.labels ? { labels: pod.labels } : {}) },
      spec: {
        nodeName: 'w1',
        terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds ?? 1,
        containers: [{ name: pod.container ?? 'main', image: 'busybox', command: pod.command, ...(pod.stdin ? { stdin: true } : {}), ...(pod.tty ? { tty: true } : {}) }],
      },
    };
    const applied = await kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
    if (applied.code === 0) await waitFor(['get', 'pod', name], new RegExp(`${name}\\s+1/1\\s+Running`), `${name} running`);
    return applied;
  };
  return { dataDir, natsUrl: nats.url, kubectlBase, kubeconfigPath: api.kubeconfigPath, cacheDir, kubectl, waitFor, runPod };
}
