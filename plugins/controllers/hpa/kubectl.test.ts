// End to end: the real `kite up` (hollow runtime: each container's usage is exactly its requests,
// so a 100m request reads as 100% utilization) and the real kubectl: discovery, validation
// errors, an HPA scaling a Deployment up within its max, down only after its stabilization
// window, `kubectl get hpa` and `describe hpa`, and a target without metrics.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import yaml from 'js-yaml';
import { builtinPlugins } from '../../../kernel/plugin/config.js';
import { startTestKite } from '../../../kernel/testing/kite.js';
import { poll } from '../../../kernel/testing/poll.js';


function hpaManifest(name: string, target: string, spec: Record<string, unknown>): string {
  return yaml.dump({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: 'default' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, ...spec },
  });
}

const cpuAt = (percent: number) => [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: percent } } }];

t.test('HorizontalPodAutoscalers with kubectl against kite up', { timeout: 290_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-h5-hpa-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const plugins = builtinPlugins().map((p) => {
    if (p.name === 'node-agent') return { ...p, options: { runtime: 'builtin:runtime-hollow', metricsResolutionSeconds: 1 } };
    if (p.module === 'builtin:controllers/hpa') return { ...p, options: { syncPeriodSeconds: 1 } };
    return p;
  });
  const config = join(dir, 'kite.yaml');
  writeFileSync(config, yaml.dump({ apiVersion: 'kite.dev/v1alpha1', kind: 'KernelConfiguration', plugins }));
  const kite = await startTestKite(t, ['--config', config]);
  const k = (...args: string[]) => kite.kubectl(args);
  const apply = async (manifest: string) => {
    const file = join(dir, `m-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, manifest);
    return k('create', '-f', file);
  };
  const jsonpath = async (args: string[], path: string) => (await k(...args, '-o', `jsonpath=${path}`)).stdout.trim();
  const condition = (hpa: string, type: string) => jsonpath(['get', 'hpa', hpa], `{.status.conditions[?(@.type=="${type}")].status}/{.status.conditions[?(@.type=="${type}")].reason}`);
  await poll('a registered node', async () => (await jsonpath(['get', 'nodes'], '{.items[0].metadata.name}')) || undefined);

  await t.test('discovery', async (t) => {
    const resources = await k('api-resources', '--api-group=autoscaling');
    t.equal(resources.code, 0, resources.stderr);
    t.match(resources.stdout, /horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler/);
    const explain = await k('explain', 'hpa.spec.behavior.scaleDown');
    t.equal(explain.code, 0, explain.stderr);
    t.match(explain.stdout, /stabilizationWindowSeconds\s+<integer>/);
  });

  await t.test('validation errors name the field', async (t) => {
    const bad = await apply(hpaManifest('bad', 'web', { minReplicas: 3, maxReplicas: 2 }));
    t.not(bad.code, 0);
    t.match(bad.stderr, /spec\.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`/);
    const noRef = await apply(yaml.dump({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad' }, spec: { scaleTargetRef: { name: 'web' }, minReplicas: 0, maxReplicas: 3 } }));
    t.not(noRef.code, 0);
    t.match(noRef.stderr, /spec\.scaleTargetRef\.kind: Required value/);
    const unknown = await apply(hpaManifest('typo', 'web', { maxReplicas: 3, maxReplica: 3 }));
    t.match(unknown.stderr, /unknown field "spec\.maxReplica"/, 'strict field validation knows the schema');
    t.match(noRef.stderr, /spec\.minReplicas: Invalid value: 0: must be greater than or equal to 1/);
  });

  for (const args of [
    ['create', 'deployment', 'web', '--image=nginx', '--replicas=2'],
    ['set', 'resources', 'deployment', 'web', '--requests=cpu=100m'],
  ]) {
    const r = await k(...args);
    t.equal(r.code, 0, r.stderr);
  }
  const rollout = await k('rollout', 'status', 'deployment/web', '--timeout=120s');
  t.equal(rollout.code, 0, rollout.stderr);

  await t.test('target 50% with pods at 100%: scales 2 -> 4 and stops at maxReplicas', async (t) => {
    const created = await apply(hpaManifest('web', 'web', { minReplicas: 1, maxReplicas: 4, metrics: cpuAt(50), behavior: { scaleDown: { stabilizationWindowSeconds: 30 } } }));
    t.equal(created.code, 0, created.stderr);
    const table = await poll('REPLICAS 4 in get hpa', async () => {
      const r = await k('get', 'hpa');
      return /\nweb\s+Deployment\/web\s+cpu: 100%\/50%\s+1\s+4\s+4\s+\S+\n/.test(r.stdout) ? r.stdout : undefined;
    });
    t.match(table, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\n/);
    t.equal(await jsonpath(['get', 'deployment', 'web'], '{.spec.replicas}'), '4');
    t.equal(await poll('ScalingLimited True', async () => {
      const c = await condition('web', 'ScalingLimited');
      return c === 'True/TooManyReplicas' ? c : undefined;
    }), 'True/TooManyReplicas', 'held at maxReplicas');
    t.equal(await condition('web', 'ScalingActive'), 'True/ValidMetricFound');
    t.equal(await jsonpath(['get', 'hpa', 'web'], '{.spec.behavior.scaleUp.policies[0].type}/{.spec.behavior.scaleUp.policies[0].value}/{.spec.behavior.scaleDown.policies[0].type}'), 'Pods/4/Percent', 'behavior defaulted');
    const events = await k('get', 'events', '--field-selector=involvedObject.kind=HorizontalPodAutoscaler,reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}');
    t.match(events.stdout, /New size: 4; reason: cpu resource utilization \(percentage of request\) above target/);
    const describe = await k('describe', 'hpa', 'web');
    t.equal(describe.code, 0, describe.stderr);
    t.match(describe.stdout, /Reference:\s+Deployment\/web/);
    t.match(describe.stdout, /resource cpu on pods\s+\(as a percentage of request\):\s+100% \(100m\) \/ 50%/);
    t.match(describe.stdout, /Min replicas:\s+1/);
    t.match(describe.stdout, /SuccessfulRescale/);
  });

  await t.test('target 200%: the scale-down waits for the stabilization window', async (t) => {
    const patched = await k('patch', 'hpa', 'web', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/metrics/0/resource/target/averageUtilization', value: 200 }]));
    t.equal(patched.code, 0, patched.stderr);
    // Recent proposals of 8 (100% of a 50% target over 4 pods) are inside the 30 s window.
    // Condition and desired count from the same status write.
    const held = await poll('ScaleDownStabilized', async () => {
      const c = await jsonpath(['get', 'hpa', 'web'], '{.status.conditions[?(@.type=="AbleToScale")].reason}/{.status.desiredReplicas}/{.status.currentMetrics[0].resource.current.averageUtilization}');
      return c.startsWith('ScaleDownStabilized/') ? c : undefined;
    });
    t.equal(held, 'ScaleDownStabilized/4/100', 'held at 4 while the window lasts');
    await poll('scaled down to 2', async () => ((await jsonpath(['get', 'deployment', 'web'], '{.spec.replicas}')) === '2' ? true : undefined));
    const events = await k('get', 'events', '--field-selector=involvedObject.kind=HorizontalPodAutoscaler,reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}');
    t.match(events.stdout, /New size: 2; reason: All metrics below target/);
    const metrics = await kite.request('/metrics');
    t.match(metrics.body, /horizontal_pod_autoscaler_controller_reconciliations_total\{action="scale_up",error="none"\} [1-9]/);
    t.match(metrics.body, /horizontal_pod_autoscaler_controller_reconciliations_total\{action="scale_down",error="none"\} [1-9]/);
    t.match(metrics.body, /horizontal_pod_autoscaler_controller_reconciliation_duration_seconds_count\{action="none",error="none"\} [1-9]/);
  });

  await t.test('no metrics: ScalingActive False FailedGetResourceMetric', async (t) => {
    const r = await k('create', 'deployment', 'idle', '--image=nginx', '--replicas=1');
    t.equal(r.code, 0, r.stderr);
    // Pods that cannot be scheduled never run, so no node reports their usage.
    const patched = await k('patch', 'deployment', 'idle', '-p', JSON.stringify({ spec: { template: { spec: { nodeSelector: { nowhere: 'true' } } } } }));
    t.equal(patched.code, 0, patched.stderr);
    const created = await apply(hpaManifest('idle', 'idle', { maxReplicas: 3 }));
    t.equal(created.code, 0, created.stderr);
    t.equal(await poll('FailedGetResourceMetric', async () => {
      const c = await condition('idle', 'ScalingActive');
      return c === 'False/FailedGetResourceMetric' ? c : undefined;
    }), 'False/FailedGetResourceMetric');
    t.match(await jsonpath(['get', 'hpa', 'idle'], '{.status.conditions[?(@.type=="ScalingActive")].message}'), /^the HPA was unable to compute the replica count: failed to get cpu utilization: /);
    const table = await k('get', 'hpa', 'idle');
    t.match(table.stdout, /\nidle\s+Deployment\/idle\s+cpu: <unknown>\/80%\s+1\s+3\s+\d+\s+\S+\n/, 'defaults: minReplicas 1, cpu 80%');
  });

  await t.test('kubectl autoscale', async (t) => {
    const r = await k('autoscale', 'deployment', 'web', '--name=auto', '--min=1', '--max=5', '--cpu-percent=50');
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /horizontalpodautoscaler.autoscaling\/auto autoscaled/);
    // kubectl 1.32 sends autoscaling/v1 (protobuf); it is stored as v2.
    t.equal(await jsonpath(['get', 'hpa', 'auto'], '{.spec.metrics[0].resource.name}/{.spec.metrics[0].resource.target.averageUtilization}/{.spec.minReplicas}/{.spec.maxReplicas}'), 'cpu/50/1/5');
    const v1 = await kite.request('/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/auto');
    t.equal(v1.status, 200, v1.body);
    const body = JSON.parse(v1.body) as { apiVersion: string; spec: Record<string, unknown> };
    t.equal(body.apiVersion, 'autoscaling/v1');
    t.same(body.spec, { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 });
    const list = await kite.request('/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers');
    const items = (JSON.parse(list.body) as { apiVersion: string; items: Array<{ apiVersion: string; metadata: { name: string }; spec: { targetCPUUtilizationPercentage?: number } }> });
    t.equal(items.apiVersion, 'autoscaling/v1');
    t.same(items.items.map((i) => `${i.metadata.name}:${i.spec.targetCPUUtilizationPercentage}`).sort(), ['auto:50', 'idle:80', 'web:200']);
    const watch = await kite.request('/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Dauto');
    const events = watch.body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; object: { apiVersion: string; spec: { targetCPUUtilizationPercentage?: number } } });
    t.match(events[0], { type: 'ADDED', object: { apiVersion: 'autoscaling/v1', spec: { targetCPUUtilizationPercentage: 50 } } }, 'watch events converted');
    const patchV1 = (body: unknown, type = 'application/merge-patch+json') =>
      kite.request('/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/auto', { method: 'PATCH', body: JSON.stringify(body), headers: { 'content-type': type } });
    const patched = await patchV1({ spec: { maxReplicas: 6 } });
    t.equal(patched.status, 200, patched.body);
    t.match(JSON.parse(patched.body), { apiVersion: 'autoscaling/v1', spec: { maxReplicas: 6, targetCPUUtilizationPercentage: 50 } }, 'a shared field patched through v1');
    const refused = await patchV1([{ op: 'replace', path: '/spec/targetCPUUtilizationPercentage', value: 70 }], 'application/json-patch+json');
    t.equal(refused.status, 415, 'a v1-only field is not patched onto the v2 form');
    const versions = await k('api-versions');
    t.match(versions.stdout, /^autoscaling\/v1$/m);
    t.match(versions.stdout, /^autoscaling\/v2$/m);
    const fromV1 = await apply(yaml.dump({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'legacy' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 60 } }));
    t.equal(fromV1.code, 0, fromV1.stderr);
    t.equal(await jsonpath(['get', 'hpa', 'legacy'], '{.apiVersion}/{.spec.metrics[0].resource.target.averageUtilization}'), 'autoscaling/v2/60', 'a v1 manifest through kubectl create -f');
    const typo = await apply(yaml.dump({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'typo1' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPU: 60 } }));
    t.not(typo.code, 0, 'unknown v1 fields are refused');
    t.match(typo.stderr, /unknown field "spec\.targetCPU"/);
    t.equal((await k('delete', 'hpa', 'legacy')).code, 0);
    t.match(items.items.find((i) => i.metadata.name === 'web'), { metadata: { annotations: { 'autoscaling.alpha.kubernetes.io/behavior': /scaleDown/ } } }, 'v2-only fields in annotations');
  });
});
