// The horizontal pod autoscaler controller: every sync period (and on HPA spec changes) it reads
// each HPA's target scale (Deployment, ReplicaSet, StatefulSet), asks the node agents for its
// pods' usage (the same bus call behind metrics.k8s.io), computes the replica count the metrics
// ask for, applies behavior and min/max, rescales the target and writes the HPA status.
import { inject, injectable } from 'tsyringe';
import { podUsageByUid } from '../../../kernel/api/metrics-api/handler.js';
import { Controller, type ControllerOptions, type SyncResult } from '../../../kernel/controller/controller.js';
import { splitKey, type Informer } from '../../../kernel/controller/informer.js';
import { PODS } from '../../../kernel/controller/podcontrol.js';
import { canonicalJson, nowTime, type PodLike } from '../../../kernel/controller/pods.js';
import { HORIZONTALPODAUTOSCALERS, withHpaCondition, type HorizontalPodAutoscaler, type HpaCondition, type MetricSpec, type MetricStatus } from '../../../kernel/objects/hpa.js';
import { compileLabelSelector, type LabelSelector } from '../../../kernel/objects/selectors.js';
import { isStatusError } from '../../../kernel/objects/status.js';
import type { KubeObject, ResourceKey } from '../../../kernel/objects/types.js';
import { tryParseQuantity } from '../../../kernel/objects/validation/mod.js';
import { counterOn, histogramOn } from '../../../kernel/plugin/metrics.js';
import { Bus, Logger, MetricsRegistry, ObjectStore, PluginOptions } from '../../../kernel/tokens.js';
import { emptyHistory, normalize, recordRescale, type ScalingHistory } from './behavior.js';
import { MetricError, proposeReplicas, type PodUsageMap, type ResourceName, type ResourceTarget } from './calculator.js';
import type { HpaOptions } from './setup.js';

const SCALABLE: Record<string, ResourceKey> = {
  Deployment: { group: 'apps', resource: 'deployments', namespaced: true },
  ReplicaSet: { group: 'apps', resource: 'replicasets', namespaced: true },
  StatefulSet: { group: 'apps', resource: 'statefulsets', namespaced: true },
};

type HpaStatus = NonNullable<HorizontalPodAutoscaler['status']>;

/** Labels of upstream's reconciliation metrics: what a sync did and which kind of error stopped it. */
interface Outcome {
  action: 'scale_up' | 'scale_down' | 'none';
  error: 'spec' | 'internal' | 'none';
}

/** kube-controller-manager's horizontal_pod_autoscaler_controller_* reconciliation metrics. */
function hpaMetrics(registry: MetricsRegistry) {
  const labelNames = ['action', 'error'] as const;
  return {
    reconciliations: counterOn(registry, { name: 'horizontal_pod_autoscaler_controller_reconciliations_total', help: 'Number of reconciliations of HPA controller.', labelNames }),
    duration: histogramOn(registry, {
      name: 'horizontal_pod_autoscaler_controller_reconciliation_duration_seconds',
      help: 'The time(seconds) that the HPA controller takes to reconcile once.',
      labelNames,
      buckets: [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384],
    }),
  };
}
type ConditionInput = Omit<HpaCondition, 'lastTransitionTime'>;

interface MetricOutcome {
  replicas: number;
  status: MetricStatus;
  /** Upstream's metric name in rescale reasons, e.g. `cpu resource utilization (percentage of request)`. */
  name: string;
}

/** A Resource or ContainerResource metric as a calculator target; undefined for other sources (not supported). */
function targetOf(metric: MetricSpec): ResourceTarget | undefined {
  const source = metric.type === 'Resource' ? metric.resource : metric.type === 'ContainerResource' ? metric.containerResource : undefined;
  if (!source || (source.name !== 'cpu' && source.name !== 'memory')) return undefined;
  const container = metric.type === 'ContainerResource' ? metric.containerResource!.container : undefined;
  const t = source.target;
  const base = { resource: source.name as ResourceName, ...(container !== undefined ? { container } : {}) };
  if (t.averageUtilization !== undefined && t.averageUtilization !== null) return { ...base, averageUtilization: t.averageUtilization };
  const value = tryParseQuantity(t.averageValue);
  return value === undefined ? undefined : { ...base, averageValue: value };
}

/** A usage as upstream's status shows it: cpu in millicores, memory in bytes. */
function quantityOf(resource: ResourceName, value: number): string {
  return resource === 'cpu' ? `${Math.round(value * 1000)}m` : String(Math.round(value));
}

@injectable()
export class HorizontalPodAutoscalerController extends Controller {
  private readonly hpas: Informer<HorizontalPodAutoscaler>;
  private readonly pods: Informer<PodLike>;
  private readonly histories = new Map<string, ScalingHistory>();
  private readonly reconcileMetrics: ReturnType<typeof hpaMetrics>;

  constructor(
    @inject(ObjectStore) store: ObjectStore,
    @inject(Bus) private readonly bus: Bus,
    @inject(Logger) logger: Logger,
    @inject(MetricsRegistry) metrics: MetricsRegistry,
    @inject(PluginOptions) private readonly hpaOptions: HpaOptions,
  ) {
    super('horizontal-pod-autoscaler', { store, logger: logger.child({ controller: 'horizontal-pod-autoscaler' }), metrics }, hpaOptions as ControllerOptions);
    this.reconcileMetrics = hpaMetrics(metrics);
    this.hpas = this.informer<HorizontalPodAutoscaler>(HORIZONTALPODAUTOSCALERS);
    this.pods = this.informer<PodLike>(PODS);
    // Status writes come back as updates: only a spec change (new generation) asks for an early sync.
    this.hpas.addHandler({
      add: (h) => this.enqueue(h),
      update: (old, h) => {
        if (old.metadata.generation !== h.metadata.generation) this.enqueue(h);
      },
      delete: (h) => this.histories.delete(`${h.metadata.namespace}/${h.metadata.name}`),
    });
  }

  protected async sync(key: string): Promise<SyncResult | void> {
    const { namespace, name } = splitKey(key);
    const hpa = this.hpas.get(namespace, name);
    if (!hpa) return;
    const history = this.histories.get(key) ?? emptyHistory();
    this.histories.set(key, history);
    const outcome: Outcome = { action: 'none', error: 'none' };
    const started = performance.now();
    try {
      await this.reconcile(hpa, history, outcome);
    } catch (e) {
      // Looked at again next period, as upstream: a failed sync must not stop the HPA's resyncs.
      outcome.error = 'internal';
      this.logger.warn('HPA sync failed', { hpa: key, error: (e as Error).message });
    } finally {
      this.reconcileMetrics.reconciliations.inc({ ...outcome });
      this.reconcileMetrics.duration.observe({ ...outcome }, (performance.now() - started) / 1000);
    }
    return { requeueAfterMs: this.hpaOptions.syncPeriodSeconds * 1000 };
  }

  private async reconcile(hpa: HorizontalPodAutoscaler, history: ScalingHistory, outcome: Outcome): Promise<void> {
    const ns = hpa.metadata.namespace ?? 'default';
    const ref = hpa.spec.scaleTargetRef;
    const conditions: ConditionInput[] = [];
    const base: HpaStatus = { ...(hpa.status ?? {}), observedGeneration: hpa.metadata.generation ?? 1 };

    const resource = SCALABLE[ref.kind];
    let target: KubeObject | undefined;
    try {
      if (!resource) throw new Error(`no scale subresource for ${ref.kind} (supported: ${Object.keys(SCALABLE).join(', ')})`);
      target = await this.store.get<KubeObject>(resource, ns, ref.name);
    } catch (e) {
      const message = `the HPA controller was unable to get the target's current scale: ${isStatusError(e, 'NotFound') ? `${resource!.resource}.apps "${ref.name}" not found` : (e as Error).message}`;
      outcome.error = resource ? 'internal' : 'spec';
      this.warnOnce(hpa, 'FailedGetScale', message);
      await this.writeStatus(hpa, base, [{ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message }]);
      return;
    }
    const spec = (target.spec ?? {}) as { replicas?: number; selector?: LabelSelector };
    const current = spec.replicas ?? 1;
    const statusReplicas = ((target.status ?? {}) as { replicas?: number }).replicas ?? 0;
    const min = hpa.spec.minReplicas ?? 1;
    const max = hpa.spec.maxReplicas;
    const now = Date.now();
    const status: HpaStatus = { ...base, currentReplicas: statusReplicas };
    conditions.push({ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" });

    let desired: number;
    let reason: string;
    if (current === 0 && min !== 0) {
      desired = 0;
      reason = '';
      status.currentMetrics = null;
      conditions.push({ type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
    } else if (current > max) {
      [desired, reason] = [max, 'Current number of replicas above Spec.MaxReplicas'];
      conditions.push({ type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
    } else if (current < min) {
      [desired, reason] = [min, 'Current number of replicas below Spec.MinReplicas'];
      conditions.push({ type: 'ScalingLimited', status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
    } else {
      const computed = await this.computeFromMetrics(hpa, spec.selector, ns, current);
      if ('error' in computed) {
        this.warnOnce(hpa, computed.reason, computed.error);
        outcome.error = 'internal';
        conditions.push({ type: 'ScalingActive', status: 'False', reason: computed.reason, message: `the HPA was unable to compute the replica count: ${computed.error}` });
        // Upstream keeps the last currentMetrics when it cannot compute new ones.
        await this.writeStatus(hpa, { ...status, desiredReplicas: hpa.status?.desiredReplicas ?? current }, conditions);
        return;
      }
      status.currentMetrics = computed.metrics.map((m) => m.status);
      const best = computed.metrics.reduce((a, b) => (b.replicas > a.replicas ? b : a));
      conditions.push({ type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${best.name}` });
      reason = best.replicas > current ? `${best.name} above target` : 'All metrics below target';
      const normalized = normalize(hpa, history, current, best.replicas, now);
      desired = normalized.replicas;
      conditions[0] = { type: 'AbleToScale', status: 'True', reason: normalized.ableReason, message: normalized.ableMessage };
      conditions.push({ type: 'ScalingLimited', status: normalized.limited ? 'True' : 'False', reason: normalized.limitReason, message: normalized.limitMessage });
    }

    if (desired !== current) {
      try {
        await this.store.guaranteedUpdate<KubeObject>(resource, ns, ref.name, (t) => ({ ...t, spec: { ...(t.spec as object), replicas: desired } }));
      } catch (e) {
        const message = `the HPA controller was unable to update the target scale: ${(e as Error).message}`;
        this.events.record(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${(e as Error).message}`);
        conditions[0] = { type: 'AbleToScale', status: 'False', reason: 'FailedUpdateScale', message };
        outcome.error = 'internal';
        await this.writeStatus(hpa, status, conditions);
        return;
      }
      recordRescale(hpa, history, current, desired, now);
      outcome.action = desired > current ? 'scale_up' : 'scale_down';
      this.events.record(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      this.logger.info('rescaled', { hpa: `${ns}/${hpa.metadata.name}`, from: current, to: desired, reason });
      conditions[0] = { type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${desired}` };
      status.lastScaleTime = nowTime();
    }
    status.desiredReplicas = desired;
    await this.writeStatus(hpa, status, conditions);
  }

  /** Every metric's proposal, or the first error when none could be computed (upstream: any valid one wins). */
  private async computeFromMetrics(hpa: HorizontalPodAutoscaler, selector: LabelSelector | undefined, ns: string, current: number):
    Promise<{ metrics: MetricOutcome[] } | { error: string; reason: string }> {
    let matches: (labels: Record<string, string> | undefined) => boolean;
    try {
      if (!selector) throw new Error('selector is required');
      matches = compileLabelSelector(selector);
    } catch (e) {
      return { error: `couldn't convert selector into a corresponding internal selector object: ${(e as Error).message}`, reason: 'InvalidSelector' };
    }
    const pods = this.pods.list(ns).filter((p) => matches(p.metadata.labels as Record<string, string> | undefined));
    const raw = await podUsageByUid(this.bus, this.logger, pods);
    const out: MetricOutcome[] = [];
    let firstError: { error: string; reason: string } | undefined;
    for (const metric of hpa.spec.metrics ?? []) {
      const target = targetOf(metric);
      if (!target) {
        firstError ??= { error: `metric source type ${metric.type} is not supported by this controller`, reason: 'InvalidMetricSourceType' };
        continue;
      }
      const usage: PodUsageMap = new Map([...raw].map(([uid, u]) => [uid, new Map(u.containers.map((c) => [c.name, target.resource === 'cpu' ? c.cpuNanoCores / 1e9 : c.memoryBytes]))]));
      const withMetrics = pods.filter((p) => usage.has(p.metadata.uid ?? ''));
      const utilization = target.averageUtilization !== undefined;
      const what = utilization ? `${target.resource} utilization` : `${target.resource} usage`;
      try {
        if (withMetrics.length === 0) throw new MetricError(`unable to get metrics for resource ${target.resource}: no metrics returned from resource metrics API`);
        const p = proposeReplicas(current, target, pods, usage);
        const name = utilization ? `${target.resource} resource utilization (percentage of request)` : `${target.resource} resource`;
        const currentValue = { averageValue: quantityOf(target.resource, p.averageValue), ...(p.utilization !== undefined ? { averageUtilization: p.utilization } : {}) };
        const status: MetricStatus = metric.type === 'Resource'
          ? { type: 'Resource', resource: { name: target.resource, current: currentValue } }
          : ({ type: 'ContainerResource', containerResource: { name: target.resource, container: target.container, current: currentValue } } as MetricStatus);
        out.push({ replicas: p.replicas, status, name });
      } catch (e) {
        const reason = metric.type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
        firstError ??= { error: `failed to get ${what}: ${(e as Error).message}`, reason };
      }
    }
    if (out.length === 0) return firstError ?? { error: 'no metrics to compute a replica count from', reason: 'FailedGetResourceMetric' };
    return { metrics: out };
  }

  /** A Warning event when the HPA's trouble changes (upstream emits one every sync; one per change keeps the store small). */
  private warnOnce(hpa: HorizontalPodAutoscaler, reason: string, message: string): void {
    const known = (hpa.status?.conditions ?? []).some((c) => c.status === 'False' && c.reason === reason);
    if (!known) this.events.record(hpa, 'Warning', reason, message);
  }

  private async writeStatus(hpa: HorizontalPodAutoscaler, status: HpaStatus, conditions: ConditionInput[]): Promise<void> {
    const now = nowTime();
    let merged = hpa.status?.conditions;
    for (const c of conditions) merged = withHpaCondition(merged, c, now);
    const next: HpaStatus = { ...status, conditions: merged ?? [] };
    if (canonicalJson(hpa.status ?? {}) === canonicalJson(next)) return;
    try {
      this.hpas.assume(await this.store.update<HorizontalPodAutoscaler>(HORIZONTALPODAUTOSCALERS, { ...hpa, status: next }));
    } catch (e) {
      if (isStatusError(e, 'NotFound') || isStatusError(e, 'Conflict')) return;
      throw e;
    }
  }
}
