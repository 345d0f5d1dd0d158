// Built-in plugin names, in one place, spelled as upstream spells them (configs use these).
export const Names = {
  PrioritySort: 'PrioritySort',
  SchedulingGates: 'SchedulingGates',
  NodeUnschedulable: 'NodeUnschedulable',
  NodeName: 'NodeName',
  NodePorts: 'NodePorts',
  NodeResourcesFit: 'NodeResourcesFit',
  NodeResourcesBalancedAllocation: 'NodeResourcesBalancedAllocation',
  NodeAffinity: 'NodeAffinity',
  TaintToleration: 'TaintToleration',
  PodTopologySpread: 'PodTopologySpread',
  InterPodAffinity: 'InterPodAffinity',
  ImageLocality: 'ImageLocality',
  VolumeBinding: 'VolumeBinding',
  DefaultPreemption: 'DefaultPreemption',
  DefaultBinder: 'DefaultBinder',
} as const;
export type BuiltinPluginName = (typeof Names)[keyof typeof Names];

/**
 * Upstream's default score weights (v1 KubeSchedulerConfiguration defaults, getDefaultPlugins:
 * NodeAffinity and InterPodAffinity are 2 in v1, they were 1 in v1beta2).
 */
export const DEFAULT_SCORE_WEIGHTS: Readonly<Record<string, number>> = {
  [Names.NodeResourcesFit]: 1,
  [Names.NodeResourcesBalancedAllocation]: 1,
  [Names.ImageLocality]: 1,
  [Names.InterPodAffinity]: 2,
  [Names.NodeAffinity]: 2,
  [Names.PodTopologySpread]: 2,
  [Names.TaintToleration]: 3,
};
