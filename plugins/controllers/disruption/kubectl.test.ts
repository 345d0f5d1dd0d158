// End to end: the real `kite up` (built-in configuration with the hollow runtime: budgets are the
// subject, not containers) and the real kubectl: create pdb, get pdb, evictions, drain, explain,
// api-resources, validation errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import yaml from 'js-yaml';
import { builtinPlugins } from '../../../kernel/plugin/config.js';
import { startTestKite, type TestKite } from '../../../kernel/testing/kite.js';
import { poll } from '../../../kernel/testing/poll.js';

const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";


function evictionRequest(kite: TestKite, pod: string, query = '') {
  const body = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: 'default' } });
  return kite.request(`/api/v1/namespaces/default/pods/${pod}/eviction${query}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
}

t.test('PodDisruptionBudgets with kubectl against kite up', { timeout: 280_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-d5-pdb-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const plugins = builtinPlugins().map((p) => (p.name === 'node-agent' ? { ...p, options: { runtime: 'builtin:runtime-hollow' } } : p));
  const config = join(dir, 'kite.yaml');
  writeFileSync(config, yaml.dump({ apiVersion: 'kite.dev/v1alpha1', kind: 'KernelConfiguration', plugins }));
  const kite = await startTestKite(t, ['--config', config]);
  const k = (...args: string[]) => kite.kubectl(args);
  const jsonpath = async (args: string[], path: string) => (await k(...args, '-o', `jsonpath=${path}`)).stdout.trim();
  const node = await poll('a registered node', async () => (await jsonpath(['get', 'nodes'], '{.items[0].metadata.name}')) || undefined);

  await t.test('discovery and explain', async (t) => {
    const resources = await k('api-resources', '--api-group=policy');
    t.equal(resources.code, 0, resources.stderr);
    t.match(resources.stdout, /poddisruptionbudgets\s+pdb\s+policy\/v1\s+true\s+PodDisruptionBudget/);
    const explain = await k('explain', 'pdb.spec');
    t.equal(explain.code, 0, explain.stderr);
    t.match(explain.stdout, /minAvailable\s+<IntOrString>/);
    t.match(explain.stdout, /unhealthyPodEvictionPolicy\s+<string>/);
  });

  const created = await k('create', 'deployment', 'web', '--image=nginx', '--replicas=3');
  t.equal(created.code, 0, created.stderr);
  const rollout = await k('rollout', 'status', 'deployment/web', '--timeout=120s');
  t.equal(rollout.code, 0, rollout.stderr);

  await t.test('kubectl create pdb; get pdb shows ALLOWED DISRUPTIONS 1 once the pods are Ready', async (t) => {
    const pdb = await k('create', 'pdb', 'web', '--selector=app=web', '--min-available=2');
    t.equal(pdb.code, 0, pdb.stderr);
    t.equal(pdb.stdout.trim(), 'poddisruptionbudget.policy/web created');
    const table = await poll('ALLOWED DISRUPTIONS 1', async () => {
      const r = await k('get', 'pdb');
      return /\nweb\s+2\s+N\/A\s+1\s+\S+\n/.test(r.stdout) ? r.stdout : undefined;
    });
    t.match(table, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\n/);
    t.equal(await jsonpath(['get', 'pdb', 'web'], '{.status.expectedPods}/{.status.currentHealthy}/{.status.desiredHealthy}'), '3/3/2');
    const describe = await k('describe', 'pdb', 'web');
    t.match(describe.stdout, /Min available:\s+2/);
    t.match(describe.stdout, /Allowed disruptions:\s+1/);
  });

  // Replacement pods stay Pending on a cordoned node: the budget's arithmetic stays still.
  t.equal((await k('cordon', node)).code, 0, 'cordon');
  const pods = (await jsonpath(['get', 'pods', '-l', 'app=web'], '{.items[*].metadata.name}')).split(' ').filter(Boolean).sort();
  t.equal(pods.length, 3);

  await t.test('one eviction passes, the next gets 429 with the budget named', async (t) => {
    const dry = await evictionRequest(kite, pods[0]!, '?dryRun=All');
    t.equal(dry.status, 201, 'dry run');
    t.equal(await jsonpath(['get', 'pdb', 'web'], '{.status.disruptionsAllowed}'), '1', 'a dry run spends nothing');
    const first = await evictionRequest(kite, pods[0]!);
    t.equal(first.status, 201, first.body);
    await poll('the evicted pod gone', async () => ((await k('get', 'pod', pods[0]!)).code !== 0 ? true : undefined));
    await poll('budget settled at 2 healthy', async () => ((await jsonpath(['get', 'pdb', 'web'], '{.status.currentHealthy}/{.status.disruptionsAllowed}')) === '2/0' ? true : undefined));
    const second = await evictionRequest(kite, pods[1]!);
    t.equal(second.status, 429);
    const status = JSON.parse(second.body);
    t.equal(status.reason, 'TooManyRequests');
    t.equal(status.message, VIOLATION);
    t.same(status.details.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' }]);
    const get = await k('get', 'pdb', 'web');
    t.match(get.stdout, /\nweb\s+2\s+N\/A\s+0\s+/);
  });

  await t.test('kubectl drain gives up on the budget within its timeout', async (t) => {
    const drain = await k('drain', node, '--ignore-daemonsets', '--timeout=5s');
    t.not(drain.code, 0, 'drain fails');
    t.match(drain.stderr + drain.stdout, VIOLATION);
    t.match(drain.stderr, /drain did not complete within 5s|global timeout reached/);
    const left = (await jsonpath(['get', 'pods', '-l', 'app=web', '--field-selector', `spec.nodeName=${node}`], '{.items[*].metadata.name}')).split(' ').filter(Boolean);
    t.equal(left.length, 2, 'both protected pods still there');
  });

  await t.test('a Pending pod is evicted without a check', async (t) => {
    const pending = await poll('a Pending replacement', async () => (await jsonpath(['get', 'pods', '--field-selector', 'status.phase=Pending', '-l', 'app=web'], '{.items[0].metadata.name}')) || undefined);
    const r = await evictionRequest(kite, pending);
    t.equal(r.status, 201, r.body);
  });

  await t.test('maxUnavailable as a percent', async (t) => {
    t.equal((await k('delete', 'pdb', 'web')).code, 0);
    const pdb = await k('create', 'pdb', 'web-pct', '--selector=app=web', '--max-unavailable=50%');
    t.equal(pdb.code, 0, pdb.stderr);
    // 3 expected (the Deployment's scale), 50% rounded up = 2 may be unavailable: 1 desired, 2 healthy.
    const table = await poll('web-pct computed', async () => {
      const r = await k('get', 'pdb', 'web-pct');
      return /\nweb-pct\s+N\/A\s+50%\s+1\s+/.test(r.stdout) ? r.stdout : undefined;
    });
    t.ok(table);
    t.equal(await jsonpath(['get', 'pdb', 'web-pct'], '{.status.expectedPods}/{.status.desiredHealthy}/{.status.currentHealthy}'), '3/1/2');
  });

  await t.test('a pod under two budgets: 500', async (t) => {
    t.equal((await k('create', 'pdb', 'web-extra', '--selector=app=web', '--min-available=1')).code, 0);
    const r = await evictionRequest(kite, pods[1]!);
    t.equal(r.status, 500);
    t.equal(JSON.parse(r.body).message, 'Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  });

  await t.test('kubectl drain evicts what the budget allows and completes', async (t) => {
    t.equal((await k('delete', 'pdb', 'web-extra')).code, 0);
    const patched = await k('patch', 'pdb', 'web-pct', '--type=merge', '-p', '{"spec":{"maxUnavailable":"100%"}}');
    t.equal(patched.code, 0, patched.stderr);
    await poll('web-pct allows 2', async () => ((await jsonpath(['get', 'pdb', 'web-pct'], '{.status.observedGeneration}/{.status.disruptionsAllowed}')) === '2/2' ? true : undefined));
    const drain = await k('drain', node, '--ignore-daemonsets', '--timeout=90s');
    t.equal(drain.code, 0, drain.stderr);
    t.match(drain.stdout, new RegExp(`node/${node} drained`));
    t.equal(await jsonpath(['get', 'pods', '-l', 'app=web', '--field-selector', `spec.nodeName=${node}`], '{.items[*].metadata.name}'), '', 'no web pod left on the node');
  });

  await t.test('validation errors name the field', async (t) => {
    const both = await kite.kubectl(['create', '-f', '-'], {
      stdin: yaml.dump({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'bad' }, spec: { minAvailable: 1, maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } } }),
    });
    t.not(both.code, 0);
    t.match(both.stderr, /The PodDisruptionBudget "bad" is invalid: spec: Invalid value: .*minAvailable and maxUnavailable cannot be both set/);
    const negative = await kite.kubectl(['apply', '-f', '-'], {
      stdin: yaml.dump({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'bad' }, spec: { minAvailable: -1, selector: { matchLabels: { app: 'web' } } } }),
    });
    t.not(negative.code, 0);
    t.match(negative.stderr, /spec\.minAvailable: Invalid value: -1: must be greater than or equal to 0/);
    const both2 = await k('create', 'pdb', 'bad', '--selector=app=web', '--min-available=1', '--max-unavailable=1');
    t.not(both2.code, 0, 'kubectl itself refuses both flags');
  });

  await t.test('kubectl apply: created, unchanged, configured; strict field validation', async (t) => {
    const manifest = (minAvailable: number | string, extra: Record<string, unknown> = {}) =>
      yaml.dump({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'applied' }, spec: { minAvailable, selector: { matchLabels: { app: 'none' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow', ...extra } });
    const apply = (stdin: string) => kite.kubectl(['apply', '-f', '-'], { stdin });
    t.match((await apply(manifest(1))).stdout, 'poddisruptionbudget.policy/applied created');
    const generation = await jsonpath(['get', 'pdb', 'applied'], '{.metadata.generation}');
    // As upstream: the selector's patchStrategy is replace, so kubectl's patch is never empty and
    // it prints "configured"; the server sees no change.
    t.match((await apply(manifest(1))).stdout, 'poddisruptionbudget.policy/applied configured');
    t.equal(await jsonpath(['get', 'pdb', 'applied'], '{.metadata.generation}'), generation, 'no spec change');
    t.match((await apply(manifest('10%'))).stdout, 'poddisruptionbudget.policy/applied configured');
    t.equal(await jsonpath(['get', 'pdb', 'applied'], '{.spec.minAvailable}'), '10%');
    t.match((await apply(manifest('10%', { selector: { matchLabels: { tier: 'x' } } }))).stdout, 'configured');
    t.equal(await jsonpath(['get', 'pdb', 'applied'], '{.spec.selector.matchLabels}'), '{"tier":"x"}', 'the selector is replaced, not merged');
    const typo = await kite.kubectl(['apply', '-f', '-'], { stdin: manifest(1, { maxUnavailble: 1 }) });
    t.not(typo.code, 0);
    t.match(typo.stderr, /unknown field "spec\.maxUnavailble"/);
    const ssa = await kite.kubectl(['apply', '--server-side', '-f', '-'], { stdin: yaml.dump({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'ssa' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'none' } } } }) });
    t.equal(ssa.code, 0, ssa.stderr);
    t.match(ssa.stdout, 'poddisruptionbudget.policy/ssa serverside-applied');
    const all = await k('get', 'pdb', '-A');
    t.match(all.stdout, /^NAMESPACE\s+NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\n/);
    t.match(all.stdout, /\ndefault\s+applied\s+10%\s+N\/A\s+0\s+/);
    t.match(all.stdout, /\ndefault\s+ssa\s+N\/A\s+1\s+0\s+/);
  });
});
