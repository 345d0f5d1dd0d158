// Unit tests: the replica calculator (tolerance, missing metrics, unready pods), behavior
// (stabilization windows, rate policies, min/max), HPA validation and defaulting, the v1<->v2
// conversion, the `kubectl get hpa` cells and the plugin options.
import t from 'tap';
import { hpaV1ToV2, hpaV2ToV1 } from '../../../kernel/api/versions/autoscaling-v1.js';
import { formatHpaTargets, horizontalPodAutoscalerPrinter } from '../../../kernel/api/printers/autoscaling.js';
import type { PodLike } from '../../../kernel/controller/pods.js';
import { HORIZONTALPODAUTOSCALERS, type HorizontalPodAutoscaler } from '../../../kernel/objects/hpa.js';
import { ResourceRegistry } from '../../../kernel/objects/registry.js';
import type { KubeObject } from '../../../kernel/objects/types.js';
import { createAdmission } from '../../../kernel/objects/validation/mod.js';
import { emptyHistory, normalize, recordRescale, scaleDownLimit, scaleUpLimit } from './behavior.js';
import { MetricError, proposeReplicas, type PodUsageMap } from './calculator.js';
import { hpaSetup } from './setup.js';

function pod(name: string, cpuRequest = '100m', opts: { ready?: boolean; phase?: string } = {}): PodLike {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: cpuRequest } } }] },
    status: { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  } as unknown as PodLike;
}

/** Usage in cores per pod name. */
function usage(entries: Record<string, number>): PodUsageMap {
  return new Map(Object.entries(entries).map(([name, cores]) => [`uid-${name}`, new Map([['c', cores]])]));
}

function hpa(spec: Partial<HorizontalPodAutoscaler['spec']> = {}): HorizontalPodAutoscaler {
  return { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 10, ...spec } };
}

t.test('replica calculator', async (t) => {
  const pods = [pod('a'), pod('b')];
  const cpu50 = { resource: 'cpu' as const, averageUtilization: 50 };
  t.match(proposeReplicas(2, cpu50, pods, usage({ a: 0.1, b: 0.1 })), { replicas: 4, utilization: 100 }, '100% of request against 50%: double');
  t.match(proposeReplicas(2, cpu50, pods, usage({ a: 0.054, b: 0.054 })), { replicas: 2, utilization: 54 }, 'within the 10% tolerance: unchanged');
  t.match(proposeReplicas(4, { resource: 'cpu', averageUtilization: 200 }, [...pods, pod('c'), pod('d')], usage({ a: 0.1, b: 0.1, c: 0.1, d: 0.1 })), { replicas: 2 }, 'half of target: halve');
  t.match(proposeReplicas(2, { resource: 'cpu', averageValue: 0.05 }, pods, usage({ a: 0.1, b: 0.1 })), { replicas: 4, averageValue: 0.1 }, 'AverageValue target');
  // Missing metrics: counted as at target when scaling down, as idle when scaling up.
  t.match(proposeReplicas(2, cpu50, pods, usage({ a: 0.1 })), { replicas: 2 }, 'one of two at 100%, the other idle: 50% = target');
  t.match(proposeReplicas(3, { resource: 'cpu', averageUtilization: 100 }, [...pods, pod('c')], usage({ a: 0.01, b: 0.01 })), { replicas: 2, utilization: 10 },
    'scaling down with a pod missing: it counts as at its request (40% over 3 pods -> 2, not 1)');
  // Unready pods count as idle when scaling up.
  t.match(proposeReplicas(2, cpu50, [pod('a'), pod('b', '100m', { ready: false })], usage({ a: 0.1, b: 0.1 })), { replicas: 2 }, 'unready pod at 0 brings 100% down to 50% = target');
  t.throws(() => proposeReplicas(1, cpu50, [], usage({})), { message: 'no pods returned by selector while calculating replica count' });
  t.ok(new MetricError('x') instanceof Error);
  t.throws(() => proposeReplicas(1, cpu50, [pod('a', '100m', { phase: 'Pending' })], usage({})), { message: 'did not receive metrics for targeted pods (pods might be unready)' });
  const noRequest = pod('a');
  (noRequest.spec as unknown as { containers: Array<{ resources: unknown }> }).containers[0]!.resources = {};
  t.throws(() => proposeReplicas(1, cpu50, [noRequest], usage({ a: 0.1 })), { message: 'missing request for cpu in container c of Pod a' });
});

t.test('behavior: rates, windows, min/max', async (t) => {
  const now = 1_000_000;
  const defaults = { stabilizationWindowSeconds: 0, selectPolicy: 'Max' as const, policies: [{ type: 'Pods' as const, value: 4, periodSeconds: 15 }, { type: 'Percent' as const, value: 100, periodSeconds: 15 }] };
  t.equal(scaleUpLimit(2, [], defaults, now), 6, 'max(2+4, 2*2)');
  t.equal(scaleUpLimit(10, [], defaults, now), 20, 'max(10+4, 10*2)');
  t.equal(scaleUpLimit(6, [{ replicas: 4, at: now - 5000 }], defaults, now), 6, 'a scale-up 5 s ago counts against the period');
  t.equal(scaleUpLimit(6, [{ replicas: 4, at: now - 20_000 }], defaults, now), 12, 'older than the period: not counted');
  t.equal(scaleUpLimit(6, [], { ...defaults, selectPolicy: 'Min' }, now), 10);
  t.equal(scaleUpLimit(6, [], { ...defaults, selectPolicy: 'Disabled' }, now), 6);
  const down = { stabilizationWindowSeconds: 300, selectPolicy: 'Max' as const, policies: [{ type: 'Percent' as const, value: 50, periodSeconds: 60 }] };
  t.equal(scaleDownLimit(10, [], down, now), 5);
  t.equal(scaleDownLimit(5, [{ replicas: 5, at: now - 1000 }], down, now), 5, 'period start was 10: 50% of it already gone');

  const h = hpa({ maxReplicas: 5 });
  const history = emptyHistory();
  let n = normalize(h, history, 2, 8, now);
  t.match(n, { replicas: 5, limited: true, limitReason: 'TooManyReplicas', ableReason: 'ReadyForNewScale' });
  recordRescale(h, history, 2, 5, now);
  n = normalize(h, history, 5, 2, now + 15_000);
  t.match(n, { replicas: 5, ableReason: 'ScaleDownStabilized' }, 'default 300 s window keeps the recent 8');
  n = normalize(h, history, 5, 2, now + 301_000);
  t.match(n, { replicas: 2, ableReason: 'ReadyForNewScale', limited: false }, 'after the window');
  const slow = hpa({ maxReplicas: 50, behavior: { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } } });
  t.match(normalize(slow, emptyHistory(), 2, 10, now), { replicas: 3, limitReason: 'ScaleUpLimit' });
  t.match(normalize(hpa({ minReplicas: 3 }), emptyHistory(), 4, 1, now), { replicas: 3, limitReason: 'TooFewReplicas' });
});

t.test('validation and defaulting', async (t) => {
  const admission = createAdmission(new ResourceRegistry());
  const admit = (spec: Record<string, unknown>) => admission.admit(HORIZONTALPODAUTOSCALERS, { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'x', namespace: 'default' }, spec } as KubeObject, undefined, 'CREATE');
  const ref = { kind: 'Deployment', name: 'web' };
  const ok = (await admit({ scaleTargetRef: ref, maxReplicas: 3, behavior: { scaleDown: { stabilizationWindowSeconds: 20 } } })) as HorizontalPodAutoscaler;
  t.equal(ok.spec.minReplicas, 1);
  t.same(ok.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  t.same(ok.spec.behavior, {
    scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
    scaleDown: { stabilizationWindowSeconds: 20, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
  });
  const cases: Array<[Record<string, unknown>, string, string]> = [
    [{ scaleTargetRef: ref, minReplicas: 3, maxReplicas: 2 }, 'spec.maxReplicas', 'Invalid value: 2: must be greater than or equal to `minReplicas`'],
    [{ scaleTargetRef: ref, maxReplicas: 0 }, 'spec.maxReplicas', 'Invalid value: 0: must be greater than 0'],
    [{ scaleTargetRef: ref, minReplicas: 0, maxReplicas: 2 }, 'spec.minReplicas', 'Invalid value: 0: must be greater than or equal to 1'],
    [{ scaleTargetRef: { name: 'web' }, maxReplicas: 2 }, 'spec.scaleTargetRef.kind', 'Required value'],
    [{ scaleTargetRef: { kind: 'Deployment' }, maxReplicas: 2 }, 'spec.scaleTargetRef.name', 'Required value'],
    [{ scaleTargetRef: ref, maxReplicas: 2, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } } }] }, 'spec.metrics[0].resource.target.averageUtilization', 'Invalid value: 0: must be greater than 0'],
    [{ scaleTargetRef: ref, maxReplicas: 2, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } }] }, 'spec.metrics[0].resource.target.averageUtilization', 'Required value: must set either a target raw value or a target utilization'],
    [{ scaleTargetRef: ref, maxReplicas: 2, metrics: [{ type: 'Bogus' }] }, 'spec.metrics[0].type', 'Unsupported value: "Bogus"'],
    [{ scaleTargetRef: ref, maxReplicas: 2, behavior: { scaleDown: { stabilizationWindowSeconds: 4000 } } }, 'spec.behavior.scaleDown.stabilizationWindowSeconds', 'Invalid value: 4000: must be less than or equal to 3600'],
    [{ scaleTargetRef: ref, maxReplicas: 2, behavior: { scaleUp: { policies: [{ type: 'Pods', value: 0, periodSeconds: 15 }] } } }, 'spec.behavior.scaleUp.policies[0].value', 'Invalid value: 0: must be greater than zero'],
  ];
  for (const [spec, field, message] of cases) {
    try {
      await admit(spec);
      t.fail(`${field} accepted`);
    } catch (e) {
      const causes = (e as { details?: { causes?: Array<{ field?: string; message?: string }> } }).details?.causes ?? [];
      t.ok(causes.some((c) => c.field === field && c.message?.startsWith(message)), `${field}: ${message} (got ${JSON.stringify(causes)})`);
    }
  }
});

t.test('autoscaling/v1 conversion', async (t) => {
  const v1 = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'w' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'w' }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 } };
  const v2 = hpaV1ToV2(v1) as HorizontalPodAutoscaler;
  t.same(v2.spec, { scaleTargetRef: { kind: 'Deployment', name: 'w' }, maxReplicas: 5, minReplicas: 1, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] });
  const stored = { ...v2, spec: { ...v2.spec, behavior: { scaleDown: { stabilizationWindowSeconds: 20 } } }, status: { currentReplicas: 2, desiredReplicas: 4, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 100, averageValue: '100m' } } }], conditions: [{ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: 'm' }] } };
  const back = hpaV2ToV1(stored) as KubeObject & { spec: Record<string, unknown>; status: Record<string, unknown> };
  t.same(back.spec, v1.spec);
  t.match(back.status, { currentReplicas: 2, desiredReplicas: 4, currentCPUUtilizationPercentage: 100 });
  t.ok(back.metadata.annotations?.['autoscaling.alpha.kubernetes.io/behavior'], 'behavior kept in an annotation');
  const again = hpaV1ToV2(back) as HorizontalPodAutoscaler;
  t.same(again.spec.behavior, { scaleDown: { stabilizationWindowSeconds: 20 } }, 'and restored from it');
  t.equal(again.metadata.annotations, undefined, 'the annotations are not stored');
  t.same(again.status?.conditions?.map((c) => c.reason), ['SucceededRescale']);
});

t.test('get hpa cells and options', async (t) => {
  const h = hpa({ minReplicas: 1, maxReplicas: 4, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] });
  t.equal(formatHpaTargets(h), 'cpu: <unknown>/80%');
  h.status = { currentReplicas: 2, desiredReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 50 } } }] };
  t.equal(formatHpaTargets(h), 'cpu: 50%/80%');
  h.spec.metrics!.push({ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '64Mi' } } });
  t.equal(formatHpaTargets(h), 'cpu: 50%/80%, memory: <unknown>/64Mi');
  t.same(horizontalPodAutoscalerPrinter.columns.map((c) => c.name), ['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age']);
  t.same(horizontalPodAutoscalerPrinter.cells(h, new Date()).slice(1, 6), ['Deployment/web', 'cpu: 50%/80%, memory: <unknown>/64Mi', '1', 4, 2]);
  t.equal(hpaSetup({}).syncPeriodSeconds, 15);
  t.equal(hpaSetup({ syncPeriodSeconds: 2 }).syncPeriodSeconds, 2);
  t.throws(() => hpaSetup({ syncPeriodSeconds: 0 }), { key: 'syncPeriodSeconds', message: 'must be a number >= 0.1, got 0' });
  t.throws(() => hpaSetup({ syncPeriodSeconds: 'x' }), { key: 'syncPeriodSeconds', message: 'must be a number >= 0, got "x"' });
  t.throws(() => hpaSetup({ sync: 1 }), { key: 'sync', message: /^unknown option/ });
});
