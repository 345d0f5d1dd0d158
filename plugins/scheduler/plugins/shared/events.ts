// EnqueueExtensions helpers: upstream registers an action bitmask (`Add | UpdateNodeTaint`); the
// framework here takes one ClusterEvent per action, so a plugin lists the actions and one hint.
import type { KubeObject } from '../../../../kernel/objects/types.js';
import type { ActionType, ClusterEventWithHint, EventResource, Node, Pod, QueueingHint } from '../../framework/interfaces.js';

export type Hint = (pod: Pod, oldObj: KubeObject | undefined, newObj: KubeObject | undefined) => QueueingHint;

export function eventsFor(resource: EventResource, actions: readonly ActionType[], hint?: Hint): ClusterEventWithHint[] {
  return actions.map((action) => (hint ? { event: { resource, action }, hint } : { event: { resource, action } }));
}

/** Hint results: the event may make the pod schedulable (Queue), or cannot (QueueSkip). */
export const QUEUE: QueueingHint = 'Queue';
export const SKIP: QueueingHint = 'QueueSkip';

/** The objects of a Node event, typed (old is undefined for Add). */
export function asNodes(oldObj: KubeObject | undefined, newObj: KubeObject | undefined): { oldNode?: Node; newNode?: Node } {
  return { oldNode: oldObj as Node | undefined, newNode: newObj as Node | undefined };
}

/** The objects of a Pod event, typed (new is undefined for Delete). */
export function asPods(oldObj: KubeObject | undefined, newObj: KubeObject | undefined): { oldPod?: Pod; newPod?: Pod } {
  return { oldPod: oldObj as Pod | undefined, newPod: newObj as Pod | undefined };
}
