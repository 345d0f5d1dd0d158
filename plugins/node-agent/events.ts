// The kubelet's pod events (Pulling, Created, Started, Killing, BackOff, Unhealthy, Failed, ...)
// through the kernel's EventRecorder, with the container as the event's fieldPath.
import type { Logger } from '../../kernel/log.js';
import { EventRecorder as KernelEventRecorder, type EventType } from '../../kernel/events/recorder.js';
import type { ObjectStore } from '../../kernel/store/types.js';
import type { Pod } from './pod-types.js';

export type { EventType };

export class EventRecorder {
  private readonly recorder: KernelEventRecorder;

  constructor(store: ObjectStore, nodeName: string, logger: Logger) {
    this.recorder = new KernelEventRecorder(store, { component: 'kubelet', host: nodeName }, logger);
  }

  /** Records an event about `pod` (and the container `container`, if given); never throws. */
  record(pod: Pod, type: EventType, reason: string, message: string, container?: { name: string; init: boolean }): void {
    const fieldPath = container ? `spec.${container.init ? 'initContainers' : 'containers'}{${container.name}}` : undefined;
    this.recorder.record({ apiVersion: 'v1', kind: 'Pod', ...pod } as never, type, reason, message, fieldPath);
  }
}
