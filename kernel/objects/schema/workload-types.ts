// apps/v1 and batch/v1 workload types.
import { CORE, LABEL_SELECTOR, META, anyValue, bool, byKey, int, int64, intOrString, list, obj, required, str, time, topLevel, type TypeDef } from './dsl.js';

const APPS = 'io.k8s.api.apps.v1.';
const BATCH = 'io.k8s.api.batch.v1.';
const TEMPLATE = `${CORE}PodTemplateSpec`;
const open = (description: string): TypeDef => ({ description, fields: {}, open: true });
const selector = (what: string) => required(obj(LABEL_SELECTOR, `Label query over pods that should match the ${what}; must match the template labels.`));
const conditions = (ref: string) => list(ref, 'Latest observations of the current state.', { ...byKey('type'), listType: 'map', listMapKeys: ['type'] });

export const workloadTypes: Record<string, TypeDef> = {
  [`${APPS}Deployment`]: { description: 'Declarative updates for pods and replica sets.', fields: topLevel('deployment', `${APPS}DeploymentSpec`, `${APPS}DeploymentStatus`) },
  [`${APPS}DeploymentSpec`]: {
    description: 'Desired behaviour of a deployment.',
    fields: {
      replicas: int('Number of desired pods; default 1.'),
      selector: selector('replica count'),
      template: required(obj(TEMPLATE, 'Template of the pods created.')),
      strategy: obj(`${APPS}DeploymentStrategy`, 'How existing pods are replaced by new ones.', { strategies: ['retainKeys'] }),
      minReadySeconds: int('Seconds a new pod must be ready to count as available.'),
      revisionHistoryLimit: int('Old ReplicaSets kept for rollback; default 10.'),
      paused: bool('The deployment is paused.'),
      progressDeadlineSeconds: int('Seconds before a stalled rollout is reported as failed; default 600.'),
    },
  },
  [`${APPS}DeploymentStrategy`]: {
    description: 'How to replace existing pods with new ones.',
    fields: {
      type: str('Recreate or RollingUpdate; default RollingUpdate.', { enum: ['Recreate', 'RollingUpdate'] }),
      rollingUpdate: obj(`${APPS}RollingUpdateDeployment`, 'Rolling update parameters, when type is RollingUpdate.'),
    },
  },
  [`${APPS}RollingUpdateDeployment`]: {
    description: 'Parameters of a rolling update.',
    fields: {
      maxUnavailable: intOrString('Pods that may be unavailable during the update; number or percent; default 25%.'),
      maxSurge: intOrString('Pods that may be created above the desired count; number or percent; default 25%.'),
    },
  },
  [`${APPS}DeploymentStatus`]: {
    description: 'Most recently observed status of a deployment.',
    fields: {
      observedGeneration: int64('Generation observed by the controller.'),
      replicas: int('Pods targeted by the deployment.'),
      updatedReplicas: int('Pods with the desired template.'),
      readyReplicas: int('Ready pods.'),
      availableReplicas: int('Pods available for at least minReadySeconds.'),
      unavailableReplicas: int('Pods still needed for 100% availability.'),
      terminatingReplicas: int('Terminating pods.'),
      conditions: conditions(`${APPS}DeploymentCondition`),
      collisionCount: int('Count of hash collisions for the deployment.'),
    },
  },
  [`${APPS}DeploymentCondition`]: open('A condition of a deployment: Available, Progressing, ReplicaFailure.'),
  [`${APPS}ReplicaSet`]: { description: 'Ensures that a number of pod replicas run at any time.', fields: topLevel('replica set', `${APPS}ReplicaSetSpec`, `${APPS}ReplicaSetStatus`) },
  [`${APPS}ReplicaSetSpec`]: {
    description: 'Desired behaviour of a replica set.',
    fields: {
      replicas: int('Number of desired pods; default 1.'),
      minReadySeconds: int('Seconds a new pod must be ready to count as available.'),
      selector: selector('replica count'),
      template: obj(TEMPLATE, 'Template of the pods created.'),
    },
  },
  [`${APPS}ReplicaSetStatus`]: {
    description: 'Most recently observed status of a replica set.',
    fields: {
      replicas: required(int('Most recently observed number of replicas.')),
      fullyLabeledReplicas: int('Pods whose labels match the template.'),
      readyReplicas: int('Ready pods.'),
      availableReplicas: int('Available pods.'),
      terminatingReplicas: int('Terminating pods.'),
      observedGeneration: int64('Generation observed by the controller.'),
      conditions: conditions(`${APPS}ReplicaSetCondition`),
    },
  },
  [`${APPS}ReplicaSetCondition`]: open('A condition of a replica set.'),
  [`${APPS}DaemonSet`]: { description: 'Runs a copy of a pod on each eligible node.', fields: topLevel('daemon set', `${APPS}DaemonSetSpec`, `${APPS}DaemonSetStatus`) },
  [`${APPS}DaemonSetSpec`]: {
    description: 'Desired behaviour of a daemon set.',
    fields: {
      selector: selector('daemon set'),
      template: required(obj(TEMPLATE, 'Template of the pods created.')),
      updateStrategy: obj(`${APPS}DaemonSetUpdateStrategy`, 'How pods are replaced on update.'),
      minReadySeconds: int('Seconds a new pod must be ready to count as available.'),
      revisionHistoryLimit: int('Old histories kept for rollback; default 10.'),
    },
  },
  [`${APPS}DaemonSetUpdateStrategy`]: { description: 'Update strategy of a daemon set.', fields: { type: str('RollingUpdate or OnDelete.'), rollingUpdate: anyValue('maxUnavailable and maxSurge.') } },
  [`${APPS}DaemonSetStatus`]: open('Most recently observed status of a daemon set.'),
  [`${APPS}StatefulSet`]: { description: 'Pods with stable identities and storage.', fields: topLevel('stateful set', `${APPS}StatefulSetSpec`, `${APPS}StatefulSetStatus`) },
  [`${APPS}StatefulSetSpec`]: {
    description: 'Desired behaviour of a stateful set.',
    fields: {
      replicas: int('Number of desired pods; default 1.'),
      selector: selector('replica count'),
      template: required(obj(TEMPLATE, 'Template of the pods created.')),
      volumeClaimTemplates: list(`${CORE}PersistentVolumeClaim`, 'Claims created for each pod.', { listType: 'atomic' }),
      serviceName: str('Governing headless service of the set.'),
      podManagementPolicy: str('OrderedReady or Parallel.'),
      updateStrategy: obj(`${APPS}StatefulSetUpdateStrategy`, 'How pods are replaced on update.'),
      revisionHistoryLimit: int('Revisions kept; default 10.'),
      minReadySeconds: int('Seconds a new pod must be ready to count as available.'),
      persistentVolumeClaimRetentionPolicy: anyValue('What happens to claims when pods are deleted or scaled down.'),
      ordinals: anyValue('Numbering of replica indices.'),
    },
  },
  [`${APPS}StatefulSetUpdateStrategy`]: { description: 'Update strategy of a stateful set.', fields: { type: str('RollingUpdate or OnDelete.'), rollingUpdate: anyValue('partition and maxUnavailable.') } },
  [`${APPS}StatefulSetStatus`]: open('Most recently observed status of a stateful set.'),
  [`${APPS}ControllerRevision`]: {
    description: 'An immutable snapshot of state data.',
    fields: topLevel('controller revision', undefined, undefined, { data: anyValue('The serialized state.'), revision: required(int64('Revision number.')) }),
  },
  [`${BATCH}Job`]: { description: 'A single job that runs pods to completion.', fields: topLevel('job', `${BATCH}JobSpec`, `${BATCH}JobStatus`) },
  [`${BATCH}JobSpec`]: {
    description: 'Desired behaviour of a job.',
    fields: {
      parallelism: int('Maximum pods running at once; default 1.'),
      completions: int('Successful pods needed; default 1.'),
      activeDeadlineSeconds: int64('Seconds the job may be active before it is terminated.'),
      podFailurePolicy: anyValue('How pod failures are handled.'),
      successPolicy: anyValue('When the job can be declared succeeded.'),
      backoffLimit: int('Retries before the job is failed; default 6.'),
      backoffLimitPerIndex: int('Retries per index for Indexed jobs.'),
      maxFailedIndexes: int('Failed indexes before the job fails.'),
      selector: obj(LABEL_SELECTOR, 'Label query over pods; generated unless manualSelector is set.'),
      manualSelector: bool('Use the given selector instead of a generated one.'),
      template: required(obj(TEMPLATE, 'Template of the pods; restartPolicy must be OnFailure or Never.')),
      ttlSecondsAfterFinished: int('Seconds after finishing before the job is deleted.'),
      completionMode: str('NonIndexed or Indexed; default NonIndexed.'),
      suspend: bool('Suspends the job.'),
      podReplacementPolicy: str('TerminatingOrFailed or Failed.'),
      managedBy: str('Controller that manages the job.'),
    },
  },
  [`${BATCH}JobStatus`]: {
    description: 'Current state of a job.',
    open: true,
    fields: {
      conditions: list(`${BATCH}JobCondition`, 'Latest observations of the job state.', { listType: 'atomic' }),
      startTime: time('When the job controller started the job.'),
      completionTime: time('When the job completed.'),
      active: int('Pending and running pods.'),
      succeeded: int('Succeeded pods.'),
      failed: int('Failed pods.'),
      ready: int('Ready pods.'),
    },
  },
  [`${BATCH}JobCondition`]: open('A condition of a job: Complete, Failed, Suspended, ...'),
  [`${BATCH}CronJob`]: { description: 'Runs jobs on a schedule.', fields: topLevel('cron job', `${BATCH}CronJobSpec`, `${BATCH}CronJobStatus`) },
  [`${BATCH}CronJobSpec`]: {
    description: 'Desired behaviour of a cron job.',
    fields: {
      schedule: required(str('Cron format schedule.')),
      timeZone: str('Time zone name for the schedule.'),
      startingDeadlineSeconds: int64('Deadline for starting a missed job.'),
      concurrencyPolicy: str('Allow, Forbid or Replace; default Allow.'),
      suspend: bool('Suspends subsequent executions.'),
      jobTemplate: required(obj(`${BATCH}JobTemplateSpec`, 'The job created on each execution.')),
      successfulJobsHistoryLimit: int('Successful finished jobs kept; default 3.'),
      failedJobsHistoryLimit: int('Failed finished jobs kept; default 1.'),
    },
  },
  [`${BATCH}JobTemplateSpec`]: {
    description: 'Describes the job created from a template.',
    fields: { metadata: obj(`${META}ObjectMeta`, "Standard object's metadata."), spec: obj(`${BATCH}JobSpec`, 'Desired behaviour of the job.') },
  },
  [`${BATCH}CronJobStatus`]: {
    description: 'Current state of a cron job.',
    fields: {
      active: list(`${CORE}ObjectReference`, 'Currently running jobs.', { listType: 'atomic' }),
      lastScheduleTime: time('Last time a job was scheduled.'),
      lastSuccessfulTime: time('Last time a job completed successfully.'),
    },
  },
};

