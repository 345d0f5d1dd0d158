// The Job controller: runs pods until `completions` succeed (or, without completions, until
// one succeeds and the rest finish), at most `parallelism` at a time; fails the Job after
// `backoffLimit` failures or `activeDeadlineSeconds`.
import { inject, injectable } from 'tsyringe';
import { Controller, type ControllerOptions, type SyncResult } from '../../../kernel/controller/controller.js';
import { Expectations } from '../../../kernel/controller/expectations.js';
import { objectKeyOf, splitKey, type Informer } from '../../../kernel/controller/informer.js';
import { claimObjects, controllerRef } from '../../../kernel/controller/owners.js';
import { createPods, deletePods, podFromTemplate, PODS, type PodTemplateLike } from '../../../kernel/controller/podcontrol.js';
import { canonicalJson, comparePodsForDeletion, isPodActive, isPodReady, nowTime, restartCount, setCondition, type Condition, type PodLike } from '../../../kernel/controller/pods.js';
import { isStatusError } from '../../../kernel/objects/status.js';
import { compileLabelSelector, type LabelSelector } from '../../../kernel/objects/selectors.js';
import type { KubeObject, ResourceKey } from '../../../kernel/objects/types.js';
import { Logger, MetricsRegistry, ObjectStore, PluginOptions } from '../../../kernel/tokens.js';


export const JOBS: ResourceKey = { group: 'batch', resource: 'jobs', namespaced: true };

export interface Job extends KubeObject {
  spec: {
    parallelism?: number;
    completions?: number;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    suspend?: boolean;
    selector?: LabelSelector;
    template?: PodTemplateLike;
  };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    ready?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: Condition[];
  };
}

type Status = NonNullable<Job['status']>;

function finished(job: Job): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

@injectable()
export class JobController extends Controller {
  private readonly jobs: Informer<Job>;
  private readonly pods: Informer<PodLike>;
  private readonly expectations = new Expectations();

  constructor(
    @inject(ObjectStore) store: ObjectStore,
    @inject(Logger) logger: Logger,
    @inject(MetricsRegistry) metrics: MetricsRegistry,
    @inject(PluginOptions) options: ControllerOptions,
  ) {
    super('job', { store, logger: logger.child({ controller: 'job' }), metrics }, options);
    this.jobs = this.informer<Job>(JOBS);
    this.pods = this.informer<PodLike>(PODS);
    this.jobs.addHandler({ add: (j) => this.enqueue(j), update: (_o, j) => this.enqueue(j), delete: (j) => this.expectations.forget(objectKeyOf(j)) });
    const ownerKey = (p: PodLike) => {
      const ref = controllerRef(p);
      return ref?.kind === 'Job' ? `${p.metadata.namespace}/${ref.name}` : undefined;
    };
    this.pods.addHandler({
      add: (p) => {
        const key = ownerKey(p);
        if (!key) return;
        this.expectations.observedAdd(key);
        this.enqueue(key);
      },
      update: (_o, p) => {
        const key = ownerKey(p);
        if (key) this.enqueue(key);
      },
      delete: (p) => {
        const key = ownerKey(p);
        if (!key) return;
        this.expectations.observedDelete(key, p.metadata.uid);
        this.enqueue(key);
      },
    });
  }

  protected async sync(key: string): Promise<SyncResult | void> {
    const { namespace, name } = splitKey(key);
    const job = this.jobs.get(namespace, name);
    if (!job || job.metadata.deletionTimestamp || finished(job)) return;
    const selects = compileLabelSelector(job.spec.selector);
    const pods = await claimObjects(this.pods.list(namespace ?? ''), {
      store: this.store,
      resource: PODS,
      owner: job,
      ownerApiVersion: 'batch/v1',
      ownerKind: 'Job',
      matches: (p) => selects(p.metadata.labels),
      written: (p) => this.pods.assume(p),
    });
    let active = pods.filter(isPodActive);
    const prev = job.status ?? {};
    // Terminal pods may be removed later: counts never go down.
    const succeeded = Math.max(prev.succeeded ?? 0, pods.filter((p) => p.status?.phase === 'Succeeded').length);
    const failed = Math.max(prev.failed ?? 0, pods.filter((p) => p.status?.phase === 'Failed').length);
    const restarts = job.spec.template?.spec && (job.spec.template.spec as { restartPolicy?: string }).restartPolicy === 'OnFailure' ? active.reduce((n, p) => n + restartCount(p), 0) : 0;
    const now = Date.now();
    const status: Status = { ...prev, succeeded, failed };
    if (!status.startTime && !job.spec.suspend) status.startTime = nowTime();
    const started = Date.parse(status.startTime ?? '') || now;
    const deadline = job.spec.activeDeadlineSeconds;
    const completions = job.spec.completions;
    let failure: { reason: string; message: string } | undefined;
    if (failed + restarts > (job.spec.backoffLimit ?? 6)) failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    else if (deadline !== undefined && now - started >= deadline * 1000) failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
    const complete = !failure && (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0);
    let error: unknown;
    if (failure) {
      if (active.length > 0) await deletePods(this.store, this.expectations, key, active);
      active = [];
      const t = nowTime();
      status.conditions = setCondition(status.conditions, { type: 'FailureTarget', status: 'True', reason: failure.reason, message: failure.message, lastProbeTime: t, lastTransitionTime: t });
      status.conditions = setCondition(status.conditions, { type: 'Failed', status: 'True', reason: failure.reason, message: failure.message, lastProbeTime: t, lastTransitionTime: t });
    } else if (complete) {
      const t = nowTime();
      status.completionTime = t;
      status.conditions = setCondition(status.conditions, { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: t, lastTransitionTime: t });
      status.conditions = setCondition(status.conditions, { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: t, lastTransitionTime: t });
    } else if (this.expectations.satisfied(key) && !job.spec.suspend) {
      const parallelism = job.spec.parallelism ?? 1;
      const want = completions !== undefined ? Math.min(parallelism, completions - succeeded) : succeeded > 0 ? 0 : parallelism;
      try {
        if (active.length < want) {
          const make = () => podFromTemplate(job, job.spec.template ?? {}, 'batch/v1', 'Job');
          await createPods(this.store, this.expectations, key, want - active.length, make, (p) => {
            this.pods.assume(p);
            this.events.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata.name}`);
          });
        } else if (active.length > want) {
          const victims = [...active].sort(comparePodsForDeletion).slice(0, active.length - want);
          const gone = await deletePods(this.store, this.expectations, key, victims);
          active = active.filter((p) => !gone.has(p.metadata.uid ?? ''));
        }
      } catch (e) {
        error = e;
      }
    }
    status.active = active.length;
    status.ready = active.filter(isPodReady).length;
    if (canonicalJson(status) !== canonicalJson(prev)) {
      try {
        const updated = await this.store.guaranteedUpdate<Job>(JOBS, namespace, name, (cur) => (cur.metadata.uid === job.metadata.uid ? { ...cur, status } : undefined));
        this.jobs.assume(updated);
        // Once, on the transition to a terminal condition (as the upstream Job controller reports it).
        if (!finished(job)) {
          if (failure) this.events.record(job, 'Warning', failure.reason, failure.message);
          else if (complete) this.events.record(job, 'Normal', 'Completed', 'Job completed');
        }
      } catch (e) {
        if (!isStatusError(e, 'NotFound')) throw e;
      }
    }
    if (error) throw error;
    if (!failure && !complete && deadline !== undefined) return { requeueAfterMs: Math.max(100, started + deadline * 1000 - now) };
  }
}
