// Kubernetes Events for what happens to pods on this node (Pulling, Created, Started, Killing,
// BackOff, Unhealthy, Failed, ...), written to the store the way the kubelet reports them.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../kernel/log.js';
import type { ObjectStore } from '../../kernel/store/types.js';
import { EVENT_RESOURCE, type Pod } from './pod-types.js';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  constructor(private readonly store: ObjectStore, private readonly nodeName: string, private readonly logger: Logger) {}

  /** Records an event about `pod` (and the container `container`, if given); never throws. */
  record(pod: Pod, type: EventType, reason: string, message: string, container?: { name: string; init: boolean }): void {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const ns = pod.metadata.namespace ?? 'default';
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: ns },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: ns,
        name: pod.metadata.name,
        uid: pod.metadata.uid,
        ...(container ? { fieldPath: `spec.${container.init ? 'initContainers' : 'containers'}{${container.name}}` } : {}),
      },
      reason,
      message,
      type,
      source: { component: 'kubelet', host: this.nodeName },
      reportingComponent: 'kubelet',
      reportingInstance: this.nodeName,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.store.create(EVENT_RESOURCE, event).catch((e: unknown) => this.logger.debug('event not recorded', { reason, error: e as Error }));
  }
}
