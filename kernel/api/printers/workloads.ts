// Printers for apps/v1 and batch/v1 workloads.
import type { KubeObject } from '../../objects/types.js';
import { containerCells, formatLabels, formatLabelSelector, humanDuration, labelSelectorString, parseTime, since, type ContainerLike, type LabelSelector } from './format.js';
import { ageOf, nameOf } from './core.js';
import { ageColumn, col, nameColumn, type Printer } from './types.js';

interface PodTemplateLike {
  spec?: { containers?: ContainerLike[]; nodeSelector?: Record<string, string> };
}

interface WorkloadLike extends KubeObject {
  spec?: { replicas?: number; selector?: LabelSelector; template?: PodTemplateLike };
  status?: Record<string, number | undefined>;
}

const containersColumn = col('Containers', 'string', 1, 'Names of each container in the template.');
const imagesColumn = col('Images', 'string', 1, 'Images referenced by each container in the template.');
const selectorColumn = col('Selector', 'string', 1, 'Label selector of the pods.');

function templateCells(template: PodTemplateLike | undefined): [string, string] {
  return containerCells(template?.spec?.containers);
}

/** spec.replicas, which API defaulting sets to 1 when omitted. */
function desired(obj: WorkloadLike): number {
  return obj.spec?.replicas ?? 1;
}

function stat(obj: WorkloadLike, field: string): number {
  return obj.status?.[field] ?? 0;
}

export const deploymentPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Ready', 'string', 0, 'Ready pods out of desired.'),
    col('Up-to-date', 'string', 0, 'Pods running the latest template.'),
    col('Available', 'string', 0, 'Available pods.'),
    ageColumn(),
    containersColumn,
    imagesColumn,
    selectorColumn,
  ],
  cells(obj, now) {
    const d = obj as WorkloadLike;
    // A nil selector selects nothing and prints empty; an invalid one prints <invalid>.
    const selector = labelSelectorString(d.spec?.selector) ?? '<invalid>';
    return [nameOf(d), `${stat(d, 'readyReplicas')}/${desired(d)}`, stat(d, 'updatedReplicas'), stat(d, 'availableReplicas'), ageOf(d, now), ...templateCells(d.spec?.template), selector];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Desired', 'integer', 0, 'Desired replicas.'),
    col('Current', 'integer', 0, 'Current replicas.'),
    col('Ready', 'integer', 0, 'Ready replicas.'),
    ageColumn(),
    containersColumn,
    imagesColumn,
    selectorColumn,
  ],
  cells(obj, now) {
    const rs = obj as WorkloadLike;
    return [nameOf(rs), desired(rs), stat(rs, 'replicas'), stat(rs, 'readyReplicas'), ageOf(rs, now), ...templateCells(rs.spec?.template), formatLabelSelector(rs.spec?.selector)];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Desired', 'integer', 0, 'Nodes that should run the daemon pod.'),
    col('Current', 'integer', 0, 'Nodes running at least one daemon pod.'),
    col('Ready', 'integer', 0, 'Nodes with a ready daemon pod.'),
    col('Up-to-date', 'integer', 0, 'Nodes running the latest template.'),
    col('Available', 'integer', 0, 'Nodes with an available daemon pod.'),
    col('Node Selector', 'string', 0, 'Node selector of the pod template.'),
    ageColumn(),
    containersColumn,
    imagesColumn,
    selectorColumn,
  ],
  cells(obj, now) {
    const ds = obj as WorkloadLike;
    return [
      nameOf(ds),
      stat(ds, 'desiredNumberScheduled'),
      stat(ds, 'currentNumberScheduled'),
      stat(ds, 'numberReady'),
      stat(ds, 'updatedNumberScheduled'),
      stat(ds, 'numberAvailable'),
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      ageOf(ds, now),
      ...templateCells(ds.spec?.template),
      formatLabelSelector(ds.spec?.selector),
    ];
  },
};

export const statefulSetPrinter: Printer = {
  columns: [nameColumn(), col('Ready', 'string', 0, 'Ready pods out of desired.'), ageColumn(), containersColumn, imagesColumn],
  cells(obj, now) {
    const sts = obj as WorkloadLike;
    return [nameOf(sts), `${stat(sts, 'readyReplicas')}/${desired(sts)}`, ageOf(sts, now), ...templateCells(sts.spec?.template)];
  },
};

interface JobSpecLike {
  completions?: number;
  parallelism?: number;
  selector?: LabelSelector;
  template?: PodTemplateLike;
}

interface JobLike extends KubeObject {
  spec?: JobSpecLike;
  status?: {
    succeeded?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: Array<{ type?: string; status?: string }>;
  };
}

/** Whether the first condition of this type is True. */
function jobCondition(job: JobLike, type: string): boolean {
  return (job.status?.conditions ?? []).find((c) => c.type === type)?.status === 'True';
}

function jobStatus(job: JobLike): string {
  if (jobCondition(job, 'Complete')) return 'Complete';
  if (jobCondition(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (jobCondition(job, 'Suspended')) return 'Suspended';
  if (jobCondition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobCompletions(job: JobLike): string {
  const succeeded = job.status?.succeeded ?? 0;
  if (job.spec?.completions !== undefined && job.spec.completions !== null) return `${succeeded}/${job.spec.completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: JobLike, now: Date): string {
  const start = parseTime(job.status?.startTime);
  if (start === undefined) return '';
  const end = parseTime(job.status?.completionTime) ?? now.getTime();
  return humanDuration(end - start);
}

export const jobPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Status', 'string', 0, 'Status of the job.'),
    col('Completions', 'string', 0, 'Succeeded pods out of the completions wanted.'),
    col('Duration', 'string', 0, 'Time required to complete the job.'),
    ageColumn(),
    containersColumn,
    imagesColumn,
    selectorColumn,
  ],
  cells(obj, now) {
    const job = obj as JobLike;
    return [nameOf(job), jobStatus(job), jobCompletions(job), jobDuration(job, now), ageOf(job, now), ...templateCells(job.spec?.template), formatLabelSelector(job.spec?.selector)];
  },
};

interface CronJobLike extends KubeObject {
  spec?: { schedule?: string; timeZone?: string; suspend?: boolean; jobTemplate?: { spec?: JobSpecLike } };
  status?: { active?: unknown[]; lastScheduleTime?: string };
}

function boolText(value: boolean | undefined): string {
  if (value === undefined || value === null) return '<unset>';
  return value ? 'True' : 'False';
}

export const cronJobPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Schedule', 'string', 0, 'Cron schedule.'),
    col('Timezone', 'string', 0, 'Time zone of the schedule.'),
    col('Suspend', 'boolean', 0, 'Whether new runs are suspended.'),
    col('Active', 'integer', 0, 'Running jobs.'),
    col('Last Schedule', 'string', 0, 'Time since the last scheduled run.'),
    ageColumn(),
    containersColumn,
    imagesColumn,
    selectorColumn,
  ],
  cells(obj, now) {
    const cj = obj as CronJobLike;
    const jobSpec = cj.spec?.jobTemplate?.spec;
    const lastSchedule = cj.status?.lastScheduleTime ? since(cj.status.lastScheduleTime, now) : '<none>';
    return [
      nameOf(cj),
      cj.spec?.schedule ?? '',
      cj.spec?.timeZone ?? '<none>',
      boolText(cj.spec?.suspend),
      cj.status?.active?.length ?? 0,
      lastSchedule,
      ageOf(cj, now),
      ...templateCells(jobSpec?.template),
      formatLabelSelector(jobSpec?.selector),
    ];
  },
};

interface ControllerRevisionLike extends KubeObject {
  revision?: number;
}

/** `daemonset.apps/name` of the controlling owner, or `<none>`. */
function controllerName(obj: KubeObject): string {
  const owner = (obj.metadata.ownerReferences ?? []).find((o) => o.controller === true);
  if (!owner) return '<none>';
  if (!owner.kind) return owner.name;
  const slash = owner.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : owner.apiVersion.slice(0, slash);
  const groupKind = group ? `${owner.kind}.${group}` : owner.kind;
  return `${groupKind.toLowerCase()}/${owner.name}`;
}

export const controllerRevisionPrinter: Printer = {
  columns: [nameColumn(), col('Controller', 'string', 0, 'Controller of the object.'), col('Revision', 'string', 0, 'Revision number.'), ageColumn()],
  cells(obj, now) {
    return [nameOf(obj), controllerName(obj), (obj as ControllerRevisionLike).revision ?? 0, ageOf(obj, now)];
  },
};
