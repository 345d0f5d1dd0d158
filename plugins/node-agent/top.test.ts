// `kubectl top` with the real kubectl: the metrics.k8s.io API answered from a runc node agent (a
// busybox pod burning CPU under a 200m limit) and a hollow node (synthetic usage = requests), plus
// discovery, raw NodeMetricsList, NotFound and 405 for writes and watch.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { cpuQuantity, goDuration, memoryQuantity } from '../../kernel/api/metrics-api/format.js';
import { createLogger } from '../../kernel/log.js';
import { ResourceRegistry } from '../../kernel/objects/registry.js';
import { createAdmission } from '../../kernel/objects/validation/mod.js';
import { connectKernelServices } from '../../kernel/services.js';
import { createHollowRuntime } from '../runtime-hollow/index.js';
import { NodeAgent } from './agent.js';
import { startKubectlNode, type KubectlResult } from './kubectl-node.testkit.js';
import { readHostSample } from './resource-metrics.js';
import { NODE_RESOURCE } from './pod-types.js';
import { setup } from './setup.js';
import { runcUnavailable } from './testkit.js';

t.test('metrics formats and options', async (t) => {
  t.equal(cpuQuantity(123456), '123456n');
  t.equal(cpuQuantity(200_000_000), '200m');
  t.equal(cpuQuantity(2_000_000_000), '2');
  t.equal(cpuQuantity(0), '0');
  t.equal(memoryQuantity(1536), '1536');
  t.equal(memoryQuantity(466944), '456Ki');
  t.equal(memoryQuantity(64 * 2 ** 20), '64Mi');
  t.equal(memoryQuantity(1000), '1000');
  t.equal(goDuration(15), '15s');
  t.equal(goDuration(15.0041), '15.004s');
  t.equal(goDuration(68.585), '1m8.585s');
  t.equal(goDuration(3600), '1h0m0s');
  t.equal(goDuration(0.5), '0.5s');
  t.equal(setup({}).metricsResolutionSeconds, 15, 'metrics-server resolution by default');
  t.throws(() => setup({ metricsResolutionSeconds: 0 }), { key: 'metricsResolutionSeconds', message: 'must be a positive number of seconds' });
  const host = await readHostSample();
  t.ok(host.cpuNs > 0 && host.memoryBytes > 0, 'the host has CPU time and a working set (root cgroup)');
  const fromProc = await readHostSample('/nonexistent-cgroup-root');
  t.ok(fromProc.cpuNs > 0 && fromProc.memoryBytes > 0, 'and from /proc without cgroup v1 hierarchies');
});

t.test('kubectl top against a runc node and a hollow node', { skip: runcUnavailable() }, async (t) => {
  const node = await startKubectlNode(t, 'top', { metricsResolutionSeconds: 2 });
  const { kubectl, waitFor } = node;

  // A hollow node beside w1, in this process, on the same NATS.
  const logger = createLogger({}, 'error');
  const services = await connectKernelServices({ natsServers: [node.natsUrl], name: 'hollow', logger, admission: createAdmission(new ResourceRegistry()) });
  const hollowDir = mkdtempSync(join(tmpdir(), 'kite-top-hollow-'));
  const hollowRuntime = createHollowRuntime({ startDelayMs: 0 });
  const hollow = new NodeAgent({ store: services.store, bus: services.bus, logger, runtime: hollowRuntime, options: setup({ nodeName: 'top-h1', metricsResolutionSeconds: 1 }), dataDir: hollowDir, hollow: true });
  t.teardown(async () => {
    await hollow.stop();
    await hollowRuntime.stop();
    await services.close();
    rmSync(hollowDir, { recursive: true, force: true });
  });
  await hollow.start();

  const manifest = `
apiVersion: v1
kind: Pod
metadata: { name: burn, labels: { app: burn } }
spec:
  nodeName: w1
  terminationGracePeriodSeconds: 1
  containers:
    - name: loop
      image: busybox
      command: ["sh", "-c", "while :; do :; done"]
      resources: { limits: { cpu: 200m, memory: 64Mi } }
---
apiVersion: v1
kind: Pod
metadata: { name: duo, labels: { app: duo } }
spec:
  nodeName: w1
  terminationGracePeriodSeconds: 1
  containers:
    - { name: first, image: busybox, command: ["sleep", "3600"] }
    - { name: second, image: busybox, command: ["sleep", "3600"] }
---
apiVersion: v1
kind: Namespace
metadata: { name: sim }
---
apiVersion: v1
kind: Pod
metadata: { name: sim-pod, namespace: sim }
spec:
  nodeName: top-h1
  containers:
    - name: c
      image: whatever
      resources: { requests: { cpu: 250m, memory: 64Mi } }
`;
  const applied = await kubectl(['apply', '-f', '-'], manifest);
  t.equal(applied.code, 0, applied.stderr);

  // Discovery: kubectl's aggregated form and the legacy group list.
  const apiResources = await kubectl(['api-resources', '--api-group=metrics.k8s.io']);
  t.match(apiResources.stdout, /nodes\s+metrics\.k8s\.io\/v1beta1\s+false\s+NodeMetrics/);
  t.match(apiResources.stdout, /pods\s+metrics\.k8s\.io\/v1beta1\s+true\s+PodMetrics/);
  const groups = await kubectl(['get', '--raw', '/apis']);
  t.match(groups.stdout, /"name":"metrics.k8s.io","versions":\[\{"groupVersion":"metrics.k8s.io\/v1beta1"/);

  // Nodes: both, with numbers (hollow: exactly its pod's requests once that pod has two samples).
  const topNode = await waitFor(['top', 'node'], /top-h1\s+250m\s+\d+%\s+64Mi/, 'top node shows both nodes');
  t.match(topNode.stdout, /w1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/, 'the runc node with CPU and memory');
  const oneNode = await kubectl(['top', 'node', 'w1', '--no-headers']);
  t.match(oneNode.stdout, /^w1\s+\d+m/);

  // The busy pod: under its 200m limit, after two samples.
  let burn: KubectlResult | undefined;
  let millis = 0;
  for (let i = 0; i < 60 && millis < 50; i++) {
    burn = await kubectl(['top', 'pod', 'burn', '--no-headers']);
    millis = Number(/^burn\s+(\d+)m/.exec(burn.stdout)?.[1] ?? 0);
    if (millis < 50) await new Promise((r) => setTimeout(r, 1000));
  }
  t.ok(millis >= 50 && millis <= 400, `busy pod with a 200m limit shows ${millis}m (${JSON.stringify(burn)})`);
  t.match(burn!.stdout, /^burn\s+\d+m\s+\d+Mi/);

  const duo = await waitFor(['top', 'pod', 'duo', '--containers'], /duo\s+second\s+\d+m/, 'duo with containers');
  t.match(duo.stdout, /POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
  t.match(duo.stdout, /duo\s+first\s+\d+m\s+\d+Mi/);

  const onHollow = await kubectl(['top', 'pod', '-A', '--field-selector', 'spec.nodeName=top-h1', '--no-headers']);
  t.match(onHollow.stdout, /^sim\s+sim-pod\s+250m\s+64Mi\s*$/, 'field selector on the pods\' fields');
  const labelled = await kubectl(['top', 'pod', '-l', 'app=burn']);
  t.match(labelled.stdout, /burn/);
  t.notMatch(labelled.stdout, /duo/, 'label selector');
  const all = await waitFor(['top', 'pod', '-A'], /sim\s+sim-pod\s+250m\s+64Mi/, 'top pod -A');
  t.match(all.stdout, /default\s+burn\s+\d+m/);

  const missing = await kubectl(['top', 'pod', 'nope']);
  t.not(missing.code, 0);
  t.match(missing.stderr, /podmetrics\.metrics\.k8s\.io "default\/nope" not found/);
  const missingNode = await kubectl(['top', 'node', 'nope']);
  t.match(missingNode.stderr, /nodemetrics\.metrics\.k8s\.io "nope" not found/);

  // The raw API, as metrics-server answers it.
  const raw = await kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes']);
  const list = JSON.parse(raw.stdout) as { kind: string; apiVersion: string; items: Array<{ metadata: { name: string; labels?: Record<string, string> }; timestamp: string; window: string; usage: { cpu: string; memory: string } }> };
  t.equal(list.kind, 'NodeMetricsList');
  t.equal(list.apiVersion, 'metrics.k8s.io/v1beta1');
  const w1 = list.items.find((i) => i.metadata.name === 'w1');
  t.ok(w1, 'w1 in the list');
  t.match(w1?.usage.cpu, /^\d+[num]?$/);
  t.match(w1?.usage.memory, /^\d+(Ki|Mi|Gi)?$/);
  t.match(w1?.window, /^\d+(\.\d+)?s$/);
  t.match(w1?.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.equal(w1?.metadata.labels?.['kubernetes.io/hostname'], 'w1', 'labels are the Node\'s');
  const byName = await kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes?fieldSelector=metadata.name%3Dtop-h1']);
  t.same((JSON.parse(byName.stdout) as typeof list).items.map((i) => i.metadata.name), ['top-h1'], 'fieldSelector metadata.name');
  const podRaw = JSON.parse((await kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/sim/pods/sim-pod'])).stdout) as { kind: string; containers: Array<{ name: string; usage: { cpu: string; memory: string } }> };
  t.equal(podRaw.kind, 'PodMetrics');
  t.same(podRaw.containers, [{ name: 'c', usage: { cpu: '250m', memory: '64Mi' } }]);

  // A Ready node whose agent does not answer is left out (after the API server's short timeout).
  await services.store.create(NODE_RESOURCE, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'top-ghost' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  const withGhost = await kubectl(['top', 'node']);
  t.equal(withGhost.code, 0, withGhost.stderr);
  t.match(withGhost.stdout, /top-ghost\s+<unknown>/, 'kubectl shows the silent node as unknown');
  t.match(withGhost.stdout, /top-h1\s+250m/, 'and the others as before');

  const podTable = await kubectl(['get', 'podmetrics', '-n', 'sim']);
  t.match(podTable.stdout, /sim-pod\s+250m\s+64Mi\s+\d/);
  const table = await kubectl(['get', 'nodes.metrics.k8s.io']);
  t.match(table.stdout, /NAME\s+CPU\s+MEMORY\s+WINDOW/);
  t.match(table.stdout, /top-h1\s+250m\s+64Mi\s+\d/);

  // Read-only: writes and watch are refused.
  const create = await kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name: 'x' }, timestamp: '2026-01-01T00:00:00Z', window: '15s', usage: { cpu: '1m', memory: '1Mi' } }));
  t.not(create.code, 0);
  t.match(create.stderr, /MethodNotAllowed|does not allow this method/);
  const watch = await kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes?watch=true']);
  t.match(watch.stderr, /MethodNotAllowed|does not allow this method|405/);
});
