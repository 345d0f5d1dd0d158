// The pod printer: READY, the aggregated STATUS text and RESTARTS exactly as kube-apiserver
// derives them from the container statuses.
import type { KubeObject } from '../../objects/types.js';
import { humanDuration, parseTime, since } from './format.js';
import { ageColumn, col, nameColumn, type Printer, type TableRowCondition } from './types.js';

interface ContainerStateLike {
  waiting?: { reason?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; exitCode?: number; signal?: number; finishedAt?: string };
}

interface ContainerStatusLike {
  name?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerStateLike;
  lastState?: ContainerStateLike;
}

interface ConditionLike {
  type?: string;
  status?: string;
  reason?: string;
}

interface PodLike extends KubeObject {
  spec?: {
    nodeName?: string;
    containers?: Array<{ name?: string }>;
    initContainers?: Array<{ name?: string; restartPolicy?: string }>;
    readinessGates?: Array<{ conditionType?: string }>;
  };
  status?: {
    phase?: string;
    reason?: string;
    podIP?: string;
    podIPs?: Array<{ ip?: string }>;
    nominatedNodeName?: string;
    conditions?: ConditionLike[];
    initContainerStatuses?: ContainerStatusLike[];
    containerStatuses?: ContainerStatusLike[];
  };
}

/** Set by the node lifecycle controller on pods of a node that stopped reporting. */
const NODE_UNREACHABLE_REASON = 'NodeLost';

function conditionTrue(conditions: ConditionLike[] | undefined, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** Restart bookkeeping: total count plus the most recent termination (ms since epoch). */
class Restarts {
  count = 0;
  lastMs: number | undefined;

  add(status: ContainerStatusLike): void {
    this.count += status.restartCount ?? 0;
    const finished = parseTime(status.lastState?.terminated?.finishedAt);
    if (finished !== undefined && (this.lastMs === undefined || finished > this.lastMs)) this.lastMs = finished;
  }

  text(now: Date): string {
    if (this.count === 0 || this.lastMs === undefined) return String(this.count);
    return `${this.count} (${humanDuration(now.getTime() - this.lastMs)} ago)`;
  }
}

function terminatedText(terminated: NonNullable<ContainerStateLike['terminated']>, prefix: string): string {
  if (terminated.reason) return prefix + terminated.reason;
  if (terminated.signal) return `${prefix}Signal:${terminated.signal}`;
  return `${prefix}ExitCode:${terminated.exitCode ?? 0}`;
}

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/** READY, STATUS and RESTARTS of a pod. */
export function summarizePod(pod: PodLike, now: Date): PodSummary {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const phase = status.phase ?? 'Pending';
  let reason = status.reason || phase;
  if ((status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }

  const initSpecs = spec.initContainers ?? [];
  const sidecars = new Set(initSpecs.filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  const total = (spec.containers ?? []).length + sidecars.size;
  let ready = 0;
  const all = new Restarts();
  const sidecarRestarts = new Restarts();

  // Init containers run in order: the first one not finished decides the Init:… status.
  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const container = initStatuses[i]!;
    all.add(container);
    const isSidecar = sidecars.has(container.name);
    if (isSidecar) sidecarRestarts.add(container);
    const terminated = container.state?.terminated;
    const waitingReason = container.state?.waiting?.reason;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (isSidecar && container.started) {
      if (container.ready) ready++;
      continue;
    }
    if (terminated) reason = terminatedText(terminated, 'Init:');
    else if (waitingReason && waitingReason !== 'PodInitializing') reason = `Init:${waitingReason}`;
    else reason = `Init:${i}/${initSpecs.length}`;
    initializing = true;
    break;
  }

  let restarts = all;
  if (!initializing || conditionTrue(status.conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Walk backwards so the first container's state has the last word.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i]!;
      restarts.add(container);
      const state = container.state ?? {};
      if (state.waiting?.reason) reason = state.waiting.reason;
      else if (state.terminated) reason = terminatedText(state.terminated, '');
      else if (container.ready && state.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditionTrue(status.conditions, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp) {
    if (status.reason === NODE_UNREACHABLE_REASON) reason = 'Unknown';
    else if (phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  }

  return { ready: `${ready}/${total}`, status: reason, restarts: restarts.text(now) };
}

function readinessGates(pod: PodLike): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions = pod.status?.conditions ?? [];
  const passed = gates.filter((gate) => conditions.find((c) => c.type === gate.conditionType)?.status === 'True').length;
  return `${passed}/${gates.length}`;
}

const COMPLETED_CONDITIONS: Record<string, TableRowCondition[]> = {
  Succeeded: [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }],
  Failed: [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }],
};

export const podPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Ready', 'string', 0, 'Ready containers out of all containers.'),
    col('Status', 'string', 0, 'Aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 0, 'Container restarts, and how long ago the last one was.'),
    ageColumn(),
    col('IP', 'string', 1, 'Pod IP address.'),
    col('Node', 'string', 1, 'Node the pod is bound to.'),
    col('Nominated Node', 'string', 1, 'Node nominated by preemption.'),
    col('Readiness Gates', 'string', 1, 'Readiness gates passed out of all.'),
  ],
  cells(obj, now) {
    const pod = obj as PodLike;
    const summary = summarizePod(pod, now);
    const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>';
    return [
      pod.metadata.name ?? '',
      summary.ready,
      summary.status,
      summary.restarts,
      since(pod.metadata.creationTimestamp, now),
      ip,
      pod.spec?.nodeName || '<none>',
      pod.status?.nominatedNodeName || '<none>',
      readinessGates(pod),
    ];
  },
  conditions(obj) {
    return COMPLETED_CONDITIONS[(obj as PodLike).status?.phase ?? ''];
  },
};
