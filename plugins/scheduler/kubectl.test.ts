// End to end: the real `kite up` (scheduler loaded from the built-in configuration) and the real
// kubectl. A pod is scheduled onto the node the node agent registered; one that fits nowhere shows
// FailedScheduling in `kubectl describe` and stays Pending.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import yaml from 'js-yaml';
import { builtinPlugins } from '../../kernel/plugin/config.js';
import { startTestKite } from '../../kernel/testing/kite.js';
import { waitFor } from './testdata/cluster.js';

t.test('kite up + kubectl run: scheduled onto the registered node; an oversized pod stays Pending', async (t) => {
  // The built-in configuration with the hollow runtime: scheduling is the subject, not containers.
  const dir = mkdtempSync(join(tmpdir(), 'kite-s1a-up-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const plugins = builtinPlugins().map((p) => (p.name === 'node-agent' ? { ...p, options: { runtime: 'builtin:runtime-hollow' } } : p));
  const config = join(dir, 'kite.yaml');
  writeFileSync(config, yaml.dump({ apiVersion: 'kite.dev/v1alpha1', kind: 'KernelConfiguration', plugins }));
  const kite = await startTestKite(t, ['--config', config]);
  const node = await waitFor('a registered node', async () => {
    const r = await kite.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}']);
    return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
  }, 60_000);
  const run = await kite.kubectl(['run', 'nginx', '--image=nginx']);
  t.equal(run.code, 0, run.stderr);
  const bound = await waitFor('nginx scheduled', async () => {
    const r = await kite.kubectl(['get', 'pod', 'nginx', '-o', 'jsonpath={.spec.nodeName}']);
    return r.stdout.trim() || undefined;
  }, 60_000);
  t.equal(bound, node, 'bound to the node the node agent registered');
  const describe = await waitFor('Scheduled event', async () => {
    const r = await kite.kubectl(['describe', 'pod', 'nginx']);
    return /Scheduled/.test(r.stdout) ? r.stdout : undefined;
  });
  t.match(describe, new RegExp(`Normal\\s+Scheduled\\s+.*default-scheduler\\s+Successfully assigned default/nginx to ${node}`));

  const big = await kite.kubectl(['run', 'huge', '--image=nginx', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'huge', image: 'nginx', resources: { requests: { cpu: '10000' } } }] } })]);
  t.equal(big.code, 0, big.stderr);
  const failed = await waitFor('FailedScheduling', async () => {
    const r = await kite.kubectl(['describe', 'pod', 'huge']);
    return /FailedScheduling/.test(r.stdout) ? r.stdout : undefined;
  });
  t.match(failed, /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/1 nodes are available: 1 Insufficient cpu\. preemption: 0\/1 nodes are available: 1 No preemption victims found for incoming pod\.\./);
  t.match(failed, /Node:\s+<none>/);
  const cond = await kite.kubectl(['get', 'pod', 'huge', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}']);
  t.equal(cond.stdout.trim(), 'Unschedulable');
});
