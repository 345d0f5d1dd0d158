// SchedulingGates (PreEnqueue): a pod with spec.schedulingGates stays out of the active queue
// until every gate is removed.
import type { ClusterEventWithHint, EnqueueExtensions, PluginFactory, Pod, PreEnqueuePlugin, Status } from '../../framework/interfaces.js';
import { SUCCESS, status } from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { asPods, eventsFor, QUEUE, SKIP } from '../shared/events.js';
import { noArgs } from '../shared/fielderrors.js';

function gatesOf(pod: Pod | undefined): string[] {
  return ((pod?.spec?.schedulingGates ?? []) as { name: string }[]).map((g) => g.name);
}

export class SchedulingGates implements PreEnqueuePlugin, EnqueueExtensions {
  readonly name = Names.SchedulingGates;

  preEnqueue(pod: Pod): Status {
    const gates = gatesOf(pod);
    if (gates.length === 0) return SUCCESS;
    // Go's %v of a []string: `[a b]`.
    return status('UnschedulableAndUnresolvable', `waiting for scheduling gates: [${gates.join(' ')}]`);
  }

  /** Upstream: Pod UpdatePodSchedulingGatesEliminated; here a Pod Update whose gates are all gone. */
  eventsToRegister(): ClusterEventWithHint[] {
    return eventsFor('Pod', ['Update'], (pod, oldObj, newObj) => {
      const { newPod } = asPods(oldObj, newObj);
      if (!newPod || newPod.metadata.uid !== pod.metadata.uid) return SKIP;
      return gatesOf(newPod).length === 0 ? QUEUE : SKIP;
    });
  }
}

export const schedulingGatesFactory: PluginFactory<void> = {
  name: Names.SchedulingGates,
  validate: (args) => noArgs(Names.SchedulingGates, args),
  create: () => new SchedulingGates(),
};
