// Test harness: a real nats-server, the real object store and a node agent on a real (or hollow)
// runtime in a temporary directory. Teardown removes every container, sandbox, cgroup and file,
// also when a test fails.
import { existsSync, mkdtempSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsBus } from '../../kernel/bus/nats-bus.js';
import { createLogger } from '../../kernel/log.js';
import { isStatusError } from '../../kernel/objects/status.js';
import { openObjectStore } from '../../kernel/store/mod.js';
import type { ObjectStore } from '../../kernel/store/types.js';
import { startTestNats } from '../../kernel/testing/nats.js';
import { createHollowRuntime } from '../runtime-hollow/index.js';
import { createRuncRuntime } from '../runtime-runc/index.js';
import { setup as runcSetup } from '../runtime-runc/setup.js';
import { NodeAgent } from './agent.js';
import { NAMESPACE_RESOURCE, POD_RESOURCE, type ContainerSpec, type Pod } from './pod-types.js';
import type { RuntimePlugin } from './runtime.js';
import { setup } from './setup.js';

interface Teardownable {
  teardown(fn: () => unknown): void;
}

export interface AgentHarness {
  store: ObjectStore;
  bus: NatsBus;
  dataDir: string;
  agent: NodeAgent;
  runtime: RuntimePlugin;
  /** Stops the agent only (containers keep running) and starts a new one on the same state. */
  restartAgent(): Promise<void>;
  createPod(name: string, spec: Partial<Pod['spec']> & { containers: ContainerSpec[] }): Promise<Pod>;
  waitForPod(name: string, what: string, check: (p: Pod) => boolean, timeoutMs?: number): Promise<Pod>;
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/** `KITE_TEST_OCI_RUNTIME=/usr/bin/crun`: the runc runtime's tests run on another OCI runtime binary. */
const ociOverride = (): { runc?: string } => (process.env.KITE_TEST_OCI_RUNTIME ? { runc: process.env.KITE_TEST_OCI_RUNTIME } : {});

/** Why runc tests cannot run here (not root, no runc, no cgroup v1 memory controller), or false. */
export function runcUnavailable(): string | false {
  if (process.getuid?.() !== 0) return 'runc tests need root';
  if (!existsSync('/usr/sbin/runc')) return 'runc is not installed (/usr/sbin/runc)';
  if (!existsSync(join(CGROUP_ROOT, 'memory'))) return 'no cgroup v1 memory controller';
  return false;
}

/** Removes a test's parent cgroup (and anything runc left under it) in every v1 controller. */
export function cleanupCgroupParent(cgroupParent: string): void {
  for (const controller of existsSync(CGROUP_ROOT) ? readdirSync(CGROUP_ROOT) : []) {
    const dir = join(CGROUP_ROOT, controller, cgroupParent);
    if (!existsSync(dir)) continue;
    for (const sub of readdirSync(dir, { withFileTypes: true })) {
      if (!sub.isDirectory()) continue;
      try { rmdirSync(join(dir, sub.name, 'runc')); } catch { /* gone */ }
      try { rmdirSync(join(dir, sub.name)); } catch { /* gone */ }
    }
    try { rmdirSync(dir); } catch { /* busy or gone */ }
  }
}

export async function startAgentHarness(
  t: Teardownable,
  opts: { hollow?: boolean; nodeName?: string; agentOptions?: Record<string, unknown>; runtimeOptions?: Record<string, unknown> } = {},
): Promise<AgentHarness> {
  const nats = await startTestNats(t);
  const nc = await nats.connect();
  const logger = createLogger({ test: 'node-agent' }, (process.env.KITE_LOG_LEVEL as 'debug' | undefined) ?? 'error');
  const store = await openObjectStore(nc, { logger });
  t.teardown(() => store.close());
  const bus = new NatsBus(nc);
  const dataDir = mkdtempSync(join(tmpdir(), 'kite-node-'));
  const cgroupParent = `kite-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const nodeName = opts.nodeName ?? 'node-1';
  const makeRuntime = (): RuntimePlugin => (opts.hollow
    ? createHollowRuntime({ startDelayMs: 20 })
    : createRuncRuntime(runcSetup({ stateDir: join(dataDir, 'node', nodeName, 'runtime'), imageDir: join(dataDir, 'images'), cgroupParent, exitPollMs: 100, ...ociOverride(), ...opts.runtimeOptions }), dataDir));
  const options = setup({ nodeName, leaseRenewSeconds: 2, backoffInitialSeconds: 1, backoffMaxSeconds: 4, ...opts.agentOptions });
  let runtime = makeRuntime();
  let agent = new NodeAgent({ store, bus, logger, runtime, options, dataDir, hollow: opts.hollow });
  t.teardown(async () => {
    await agent.stop();
    for (const s of await runtime.listSandboxes().catch(() => [])) await runtime.removeSandbox(s.id).catch(() => undefined);
    for (const c of await runtime.listContainers().catch(() => [])) await runtime.removeContainer(c.id).catch(() => undefined);
    await runtime.stop();
    cleanupCgroupParent(cgroupParent);
    rmSync(dataDir, { recursive: true, force: true });
  });
  try {
    await store.create(NAMESPACE_RESOURCE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  } catch (e) {
    if (!isStatusError(e, 'AlreadyExists')) throw e;
  }
  await runtime.start();
  await agent.start();
  const harness: AgentHarness = {
    store,
    bus,
    dataDir,
    get agent() { return agent; },
    get runtime() { return runtime; },
    async restartAgent() {
      await agent.stop();
      await runtime.stop();
      runtime = makeRuntime();
      agent = new NodeAgent({ store, bus, logger, runtime, options, dataDir, hollow: opts.hollow });
      await runtime.start();
      await agent.start();
    },
    createPod: (name, spec) => store.create<Pod>(POD_RESOURCE, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { nodeName, terminationGracePeriodSeconds: 1, ...spec },
    }),
    async waitForPod(name, what, check, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last: Pod | undefined;
      while (Date.now() < deadline) {
        try {
          last = await store.get<Pod>(POD_RESOURCE, 'default', name);
          if (check(last)) return last;
        } catch (e) {
          if (!isStatusError(e, 'NotFound')) throw e;
          last = undefined;
          if (check(undefined as unknown as Pod)) return last as unknown as Pod;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`pod ${name} did not become ${what} within ${timeoutMs} ms; last status: ${JSON.stringify(last?.status ?? 'not found')}`);
    },
  };
  return harness;
}
