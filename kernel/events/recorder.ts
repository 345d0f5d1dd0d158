// Kubernetes Events (core/v1 Event) written to the store, the way each component reports what it
// did to an object: the scheduler's Scheduled/FailedScheduling, the kubelet's Pulling/Started,
// a controller's ScalingReplicaSet. Recording never throws: an event lost is logged, not fatal.
import type { Logger } from '../log.js';
import type { KubeObject, ResourceKey } from '../objects/types.js';
import type { ObjectStore } from '../store/types.js';
import { nowTimestamp } from '../store/kv-store.js';

export const EVENTS: ResourceKey = { group: '', resource: 'events', namespaced: true };

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  /** e.g. `default-scheduler`, `kubelet`, `deployment-controller`. */
  component: string;
  /** The node or instance reporting, if any. */
  host?: string;
}

export class EventRecorder {
  constructor(private readonly store: ObjectStore, private readonly source: EventSource, private readonly logger: Logger) {}

  /** Records an event about `obj`; `fieldPath` names a part of it (e.g. `spec.containers{web}`). */
  record(obj: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): void {
    this.store.create(EVENTS, this.build(obj, type, reason, message, fieldPath)).catch((e: unknown) =>
      this.logger.debug('event not recorded', { reason, error: e as Error }),
    );
  }

  /** The Event object record() would write (exported for tests and batching callers). */
  build(obj: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): KubeObject {
    const now = nowTimestamp();
    const ns = obj.metadata.namespace ?? 'default';
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${obj.metadata.name}.${eventSuffix()}`, namespace: ns },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        uid: obj.metadata.uid,
        ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      type,
      source: { component: this.source.component, ...(this.source.host ? { host: this.source.host } : {}) },
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? this.source.component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    } as KubeObject;
  }
}

let lastNanos = 0n;
/**
 * Upstream names an Event `<object>.<unix nanoseconds in hex>`; the clock here has millisecond
 * steps, so the value is kept strictly increasing within the process to stay unique.
 */
function eventSuffix(): string {
  let nanos = BigInt(Date.now()) * 1_000_000n;
  if (nanos <= lastNanos) nanos = lastNanos + 1n;
  lastNanos = nanos;
  return nanos.toString(16);
}
