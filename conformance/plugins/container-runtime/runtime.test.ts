// Runs the ContainerRuntime contract suite against Kite's own runtimes: runc (real processes, as
// root) and hollow (no processes). Passing with both is what proves the suite. The runc runtime
// also runs with crun as its OCI runtime binary when crun is installed.
import 'reflect-metadata';
import { join } from 'node:path';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import t from 'tap';
import { createHollowRuntime } from '../../../plugins/runtime-hollow/index.js';
import { createRuncRuntime } from '../../../plugins/runtime-runc/index.js';
import { setup as runcSetup } from '../../../plugins/runtime-runc/setup.js';
import { cleanupCgroupParent, runcUnavailable } from '../../../plugins/node-agent/testkit.js';
import { runContainerRuntimeConformance } from './suite.js';

t.test('hollow runtime', async (t) => {
  await runContainerRuntimeConformance(t, { name: 'hollow', processes: false, images: false, create: async () => createHollowRuntime({ startDelayMs: 5 }) });
});

const CRUN = '/usr/bin/crun';
for (const oci of ['runc', 'crun'] as const) {
  const skip = runcUnavailable() || (oci === 'crun' && !existsSync(CRUN) && `${CRUN} is not installed`);
  t.test(`runc runtime (${oci})`, { skip }, async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), `kite-cri-${oci}-`));
    const cgroupParent = `kite-test-${process.pid}-cri-${oci}`;
    t.teardown(() => {
      cleanupCgroupParent(cgroupParent);
      rmSync(dataDir, { recursive: true, force: true });
    });
    await runContainerRuntimeConformance(t, {
      name: oci,
      processes: true,
      images: true,
      create: async () => createRuncRuntime(runcSetup({ stateDir: join(dataDir, 'state'), imageDir: join(dataDir, 'images'), cgroupParent, exitPollMs: 100, ...(oci === 'crun' ? { runc: CRUN } : {}) }), dataDir),
    });
  });
}
