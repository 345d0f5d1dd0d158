// Pod status from what the agent knows: per-container runtime instances, waiting reasons and probe
// results → containerStatuses, phase and conditions, with upstream's reasons and messages.
import type { ContainerStatus } from './runtime.js';
import type { ContainerSpec, ContainerStateValue, Pod, PodCondition, PodContainerStatus, PodStatus } from './pod-types.js';

/** What the agent tracks for one container name of a pod. */
export interface ContainerRecord {
  name: string;
  init: boolean;
  /** The newest instance the runtime has. */
  current?: ContainerStatus;
  /** The instance before it (for lastState and `logs --previous`). */
  previous?: ContainerStatus;
  /** Why no instance runs yet or a restart is pending (ContainerCreating, CrashLoopBackOff, ErrImagePull, ...). */
  waiting?: { reason: string; message?: string };
  backoffDelayMs?: number;
  backoffUntil?: number;
  ready: boolean;
  started: boolean;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** Whether an exited instance is to be restarted (init containers run until they succeed). */
export function wantsRestart(record: ContainerRecord, policy: RestartPolicy): boolean {
  const c = record.current;
  if (!c || c.state !== 'exited') return false;
  if (record.init) return c.exitCode !== 0 && policy !== 'Never';
  return policy === 'Always' || (policy === 'OnFailure' && c.exitCode !== 0);
}

function terminated(c: ContainerStatus): ContainerStateValue {
  return {
    terminated: {
      exitCode: c.exitCode ?? 0,
      reason: c.reason ?? 'Error',
      ...(c.message ? { message: c.message } : {}),
      ...(c.startedAt ? { startedAt: c.startedAt.replace(/\.\d+Z$/, 'Z') } : {}),
      ...(c.finishedAt ? { finishedAt: c.finishedAt.replace(/\.\d+Z$/, 'Z') } : {}),
      containerID: `runc://${c.id}`,
    },
  };
}

function containerStatus(spec: ContainerSpec, r: ContainerRecord, policy: RestartPolicy, blockedReason: string): PodContainerStatus {
  const c = r.current;
  let state: ContainerStateValue;
  let lastState: ContainerStateValue = r.previous?.state === 'exited' ? terminated(r.previous) : {};
  if (!c) {
    state = { waiting: r.waiting ?? { reason: blockedReason } };
  } else if (c.state === 'running') {
    state = { running: { startedAt: (c.startedAt ?? c.createdAt).replace(/\.\d+Z$/, 'Z') } };
  } else if (c.state === 'exited') {
    if (wantsRestart(r, policy)) {
      state = { waiting: r.waiting ?? { reason: 'ContainerCreating' } };
      lastState = terminated(c);
    } else {
      state = terminated(c);
    }
  } else {
    state = { waiting: { reason: 'ContainerCreating' } };
  }
  return {
    name: spec.name,
    image: spec.image,
    imageID: c?.imageRef ?? '',
    ...(c ? { containerID: `runc://${c.id}` } : {}),
    ready: !!c && c.state === 'running' && r.ready,
    started: !!c && c.state === 'running' && r.started,
    restartCount: c ? c.attempt : 0,
    state,
    lastState,
  };
}

function condition(type: string, ok: boolean, previous: PodCondition[] | undefined, now: string, reason?: string, message?: string): PodCondition {
  const status = ok ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : now,
    ...(!ok && reason ? { reason } : {}),
    ...(!ok && message ? { message } : {}),
  };
}

export interface StatusInputs {
  pod: Pod;
  records: Map<string, ContainerRecord>;
  hostIP: string;
  podIP?: string;
  startTime: string;
  qosClass: PodStatus['qosClass'];
  now: string;
}

export function computePodStatus(inp: StatusInputs): PodStatus {
  const { pod, records } = inp;
  const policy = pod.spec.restartPolicy ?? 'Always';
  const inits = pod.spec.initContainers ?? [];
  const rec = (name: string) => records.get(name)!;
  const initDone = inits.every((c) => rec(c.name).current?.state === 'exited' && rec(c.name).current?.exitCode === 0);
  const initFailed = inits.some((c) => { const r = rec(c.name); return r.current?.state === 'exited' && r.current.exitCode !== 0 && !wantsRestart(r, policy); });
  const initStatuses = inits.map((c) => containerStatus(c, rec(c.name), policy, 'PodInitializing'));
  const appStatuses = pod.spec.containers.map((c) => containerStatus(c, rec(c.name), policy, initDone ? 'ContainerCreating' : 'PodInitializing'));

  let running = 0, waiting = 0, succeeded = 0, failed = 0;
  for (const c of pod.spec.containers) {
    const r = rec(c.name);
    if (r.current?.state === 'running') running++;
    else if (r.current?.state === 'exited' && !wantsRestart(r, policy)) (r.current.exitCode === 0 ? succeeded++ : failed++);
    else if (r.current?.state === 'exited') running++; // restarting: the pod stays Running
    else waiting++;
  }
  let phase: PodStatus['phase'];
  if (initFailed) phase = 'Failed';
  else if (!initDone || waiting > 0) phase = 'Pending';
  else if (running > 0) phase = 'Running';
  else phase = failed > 0 ? 'Failed' : 'Succeeded';

  const prev = pod.status?.conditions;
  const incompleteInit = initStatuses.filter((s) => !(s.state.terminated?.exitCode === 0)).map((s) => s.name);
  const unready = appStatuses.filter((s) => !s.ready).map((s) => s.name);
  const finished = phase === 'Succeeded' || phase === 'Failed';
  const readyReason = finished ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = finished ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const conditions: PodCondition[] = [
    condition('PodReadyToStartContainers', true, prev, inp.now),
    condition('Initialized', initDone || (finished && !initFailed), prev, inp.now, 'ContainersNotInitialized', `containers with incomplete status: [${incompleteInit.join(' ')}]`),
    condition('Ready', unready.length === 0 && !finished, prev, inp.now, readyReason, readyMessage),
    condition('ContainersReady', unready.length === 0 && !finished, prev, inp.now, readyReason, readyMessage),
    prev?.find((c) => c.type === 'PodScheduled') ?? condition('PodScheduled', true, prev, inp.now),
  ];
  return {
    phase,
    conditions,
    hostIP: inp.hostIP,
    hostIPs: [{ ip: inp.hostIP }],
    ...(inp.podIP ? { podIP: inp.podIP, podIPs: [{ ip: inp.podIP }] } : {}),
    startTime: inp.startTime,
    qosClass: inp.qosClass,
    ...(inits.length > 0 ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: appStatuses,
  };
}

/** The pod conditions the node agent sets; others are left as the store has them. */
const OWN_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady']);

/** The agent's status over the stored one; conditions other writers own (PodScheduled, readiness gates, DisruptionTarget) stay theirs. */
export function mergeStatus(stored: PodStatus | undefined, computed: PodStatus): PodStatus {
  const theirs = (stored?.conditions ?? []).filter((c) => !OWN_CONDITIONS.has(c.type));
  const mine = (computed.conditions ?? []).filter((c) => OWN_CONDITIONS.has(c.type) || !theirs.some((t) => t.type === c.type));
  return { ...stored, ...computed, conditions: [...mine, ...theirs] };
}
