// PrioritySort (QueueSort): higher spec.priority first, then the earlier queue timestamp.
import type { PluginFactory, Pod, QueueSortPlugin, QueuedPodInfo } from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { noArgs } from '../shared/fielderrors.js';

/** Upstream corev1helpers.PodPriority: spec.priority, 0 when unset (admission normally sets it). */
export function podPriority(pod: Pod): number {
  const p = pod.spec?.priority;
  return typeof p === 'number' ? p : 0;
}

export class PrioritySort implements QueueSortPlugin {
  readonly name = Names.PrioritySort;
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const pa = podPriority(a.podInfo.pod);
    const pb = podPriority(b.podInfo.pod);
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  }
}

export const prioritySortFactory: PluginFactory<void> = {
  name: Names.PrioritySort,
  validate: (args) => noArgs(Names.PrioritySort, args),
  create: () => new PrioritySort(),
};
