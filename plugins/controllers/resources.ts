// Resource keys and object shapes the built-in controllers share (not a plugin).
import type { Condition } from '../../kernel/controller/pods.js';
import type { LabelSelector } from '../../kernel/objects/selectors.js';
import type { KubeObject, ResourceKey } from '../../kernel/objects/types.js';

export { PODS } from '../../kernel/controller/podcontrol.js';
export const NAMESPACES: ResourceKey = { group: '', resource: 'namespaces', namespaced: false };
export const REPLICASETS: ResourceKey = { group: 'apps', resource: 'replicasets', namespaced: true };

export interface ReplicaSet extends KubeObject {
  spec: { replicas?: number; minReadySeconds?: number; selector?: LabelSelector; template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown } };
  status?: { replicas?: number; fullyLabeledReplicas?: number; readyReplicas?: number; availableReplicas?: number; observedGeneration?: number; conditions?: Condition[] };
}

