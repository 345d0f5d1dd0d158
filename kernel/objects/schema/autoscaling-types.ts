// autoscaling/v2 types: HorizontalPodAutoscaler (spec, behavior, metrics, status). The Pods,
// Object and External metric sources are described as open objects (the controller does not
// act on them; their fields are kept as given).
import { TIME, int, int64, list, obj, quantity, required, str, topLevel, type TypeDef } from './dsl.js';

const V2 = 'io.k8s.api.autoscaling.v2.';
const V1 = 'io.k8s.api.autoscaling.v1.';

const open = (description: string): TypeDef => ({ description, fields: {}, open: true });

export const autoscalingTypes: Record<string, TypeDef> = {
  // autoscaling/v1, served by conversion (kernel/api/versions): only what v1 can say.
  [`${V1}HorizontalPodAutoscaler`]: {
    description: 'Configuration of a horizontal pod autoscaler (autoscaling/v1: CPU utilization only).',
    fields: topLevel('HorizontalPodAutoscaler', `${V1}HorizontalPodAutoscalerSpec`, `${V1}HorizontalPodAutoscalerStatus`),
  },
  [`${V1}HorizontalPodAutoscalerSpec`]: {
    description: 'Specification of a horizontal pod autoscaler.',
    fields: {
      scaleTargetRef: required(obj(`${V2}CrossVersionObjectReference`, 'Reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource.')),
      minReplicas: int('The lower limit for the number of replicas to which the autoscaler can scale down. It defaults to 1 pod.'),
      maxReplicas: required(int('The upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.')),
      targetCPUUtilizationPercentage: int('The target average CPU utilization (represented as a percentage of requested CPU) over all the pods; if not specified the default autoscaling policy will be used.'),
    },
  },
  [`${V1}HorizontalPodAutoscalerStatus`]: {
    description: 'Current status of a horizontal pod autoscaler.',
    fields: {
      observedGeneration: int64('The most recent generation observed by this autoscaler.'),
      lastScaleTime: obj(TIME, 'The last time the HorizontalPodAutoscaler scaled the number of pods.'),
      currentReplicas: required(int('The current number of replicas of pods managed by this autoscaler.')),
      desiredReplicas: required(int('The desired number of replicas of pods managed by this autoscaler.')),
      currentCPUUtilizationPercentage: int('The current average CPU utilization over all pods, as a percentage of requested CPU.'),
    },
  },
  [`${V2}HorizontalPodAutoscaler`]: {
    description: 'Configuration of a horizontal pod autoscaler, which automatically manages the replica count of any resource implementing the scale subresource based on the metrics specified.',
    fields: topLevel('HorizontalPodAutoscaler', `${V2}HorizontalPodAutoscalerSpec`, `${V2}HorizontalPodAutoscalerStatus`),
  },
  [`${V2}HorizontalPodAutoscalerSpec`]: {
    description: 'The desired functionality of the HorizontalPodAutoscaler.',
    fields: {
      scaleTargetRef: required(obj(`${V2}CrossVersionObjectReference`, 'Points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.')),
      minReplicas: int('The lower limit for the number of replicas to which the autoscaler can scale down. It defaults to 1 pod.'),
      maxReplicas: required(int('The upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.')),
      metrics: list(`${V2}MetricSpec`, 'The specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used). Defaults to 80% average CPU utilization.', { listType: 'atomic' }),
      behavior: obj(`${V2}HorizontalPodAutoscalerBehavior`, 'Configures the scaling behavior of the target in both Up and Down directions (scaleUp and scaleDown fields respectively).'),
    },
  },
  [`${V2}CrossVersionObjectReference`]: {
    description: 'Contains enough information to let you identify the referred resource.',
    fields: {
      kind: required(str('Kind of the referent.')),
      name: required(str('Name of the referent.')),
      apiVersion: str('API version of the referent.'),
    },
  },
  [`${V2}MetricSpec`]: {
    description: 'The specification for a single metric to scale on.',
    fields: {
      type: required(str('The type of metric source.', { enum: ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'] })),
      resource: obj(`${V2}ResourceMetricSource`, 'A resource metric (such as those specified in requests and limits) known to Kubernetes describing each pod in the current scale target.'),
      containerResource: obj(`${V2}ContainerResourceMetricSource`, 'A resource metric of a single container in each pod of the current scale target.'),
      pods: obj(`${V2}PodsMetricSource`, 'A metric describing each pod in the current scale target.'),
      object: obj(`${V2}ObjectMetricSource`, 'A metric describing a single kubernetes object.'),
      external: obj(`${V2}ExternalMetricSource`, 'A global metric that is not associated with any Kubernetes object.'),
    },
  },
  [`${V2}ResourceMetricSource`]: {
    description: 'A resource metric known to Kubernetes, averaged over the pods of the scale target.',
    fields: {
      name: required(str('The name of the resource in question.')),
      target: required(obj(`${V2}MetricTarget`, 'The target value for the given metric.')),
    },
  },
  [`${V2}ContainerResourceMetricSource`]: {
    description: 'A resource metric of one container, averaged over the pods of the scale target.',
    fields: {
      name: required(str('The name of the resource in question.')),
      target: required(obj(`${V2}MetricTarget`, 'The target value for the given metric.')),
      container: required(str('The name of the container in the pods of the scaling target.')),
    },
  },
  [`${V2}PodsMetricSource`]: open('A metric describing each pod in the current scale target (not acted on by Kite).'),
  [`${V2}ObjectMetricSource`]: open('A metric describing a kubernetes object (not acted on by Kite).'),
  [`${V2}ExternalMetricSource`]: open('A global metric not associated with any Kubernetes object (not acted on by Kite).'),
  [`${V2}MetricTarget`]: {
    description: 'The target value, average value, or average utilization of a specific metric.',
    fields: {
      type: required(str('Whether the metric type is Utilization, Value, or AverageValue.')),
      value: quantity('The target value of the metric (as a quantity).'),
      averageValue: quantity('The target value of the average of the metric across all relevant pods (as a quantity).'),
      averageUtilization: int('The target value of the average of the resource metric across all relevant pods, as a percentage of the requested value of the resource for the pods.'),
    },
  },
  [`${V2}HorizontalPodAutoscalerBehavior`]: {
    description: 'Configures the scaling behavior of the target in both Up and Down directions.',
    fields: {
      scaleUp: obj(`${V2}HPAScalingRules`, 'Scaling policy for scaling Up. Default: no stabilization window, the larger of 4 pods or 100% per 15 s.'),
      scaleDown: obj(`${V2}HPAScalingRules`, 'Scaling policy for scaling Down. Default: a 300 s stabilization window, 100% per 15 s.'),
    },
  },
  [`${V2}HPAScalingRules`]: {
    description: 'Configures the scaling behavior for one direction.',
    fields: {
      stabilizationWindowSeconds: int('The number of seconds for which past recommendations should be considered while scaling up or scaling down (0 to 3600).'),
      selectPolicy: str('Which policy should be used: Max (default), Min or Disabled.'),
      policies: list(`${V2}HPAScalingPolicy`, 'A list of potential scaling polices which can be used during scaling.', { listType: 'atomic' }),
    },
  },
  [`${V2}HPAScalingPolicy`]: {
    description: 'A single policy which must hold true for a specified past interval.',
    fields: {
      type: required(str('The scaling policy: Pods or Percent.')),
      value: required(int('The amount of change which is permitted by the policy. It must be greater than zero.')),
      periodSeconds: required(int('The window of time for which the policy should hold true (1 to 1800).')),
    },
  },
  [`${V2}HorizontalPodAutoscalerStatus`]: {
    description: 'The current status of a horizontal pod autoscaler.',
    fields: {
      observedGeneration: int64('The most recent generation observed by this autoscaler.'),
      lastScaleTime: obj(TIME, 'The last time the HorizontalPodAutoscaler scaled the number of pods.'),
      currentReplicas: int('Current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
      desiredReplicas: required(int('The desired number of replicas of pods managed by this autoscaler, as last calculated by the autoscaler.')),
      currentMetrics: list(`${V2}MetricStatus`, 'The last read state of the metrics used by this autoscaler.', { listType: 'atomic' }),
      conditions: list(`${V2}HorizontalPodAutoscalerCondition`, 'The conditions required for this autoscaler to scale its target.', { listType: 'map', listMapKeys: ['type'] }),
    },
  },
  [`${V2}MetricStatus`]: {
    description: 'The last read state of a single metric.',
    fields: {
      type: required(str('The type of metric source.')),
      resource: obj(`${V2}ResourceMetricStatus`, 'The current value of a resource metric.'),
      containerResource: obj(`${V2}ContainerResourceMetricStatus`, 'The current value of a container resource metric.'),
      pods: obj(`${V2}PodsMetricSource`, 'Not reported by Kite.'),
      object: obj(`${V2}ObjectMetricSource`, 'Not reported by Kite.'),
      external: obj(`${V2}ExternalMetricSource`, 'Not reported by Kite.'),
    },
  },
  [`${V2}ResourceMetricStatus`]: {
    description: 'The current value of a resource metric.',
    fields: { name: required(str('The name of the resource in question.')), current: required(obj(`${V2}MetricValueStatus`, 'The current value of the given metric.')) },
  },
  [`${V2}ContainerResourceMetricStatus`]: {
    description: 'The current value of a container resource metric.',
    fields: {
      name: required(str('The name of the resource in question.')),
      container: required(str('The name of the container.')),
      current: required(obj(`${V2}MetricValueStatus`, 'The current value of the given metric.')),
    },
  },
  [`${V2}MetricValueStatus`]: {
    description: 'The current value of a metric.',
    fields: {
      value: quantity('The current value of the metric (as a quantity).'),
      averageValue: quantity('The current value of the average of the metric across all relevant pods (as a quantity).'),
      averageUtilization: int('The current value of the average of the resource metric across all relevant pods, as a percentage of the requested value of the resource for the pods.'),
    },
  },
  [`${V2}HorizontalPodAutoscalerCondition`]: {
    description: 'The state of a HorizontalPodAutoscaler at a certain point.',
    fields: {
      type: required(str('The type of condition: AbleToScale, ScalingActive or ScalingLimited.')),
      status: required(str('The status of the condition (True, False, Unknown).')),
      lastTransitionTime: obj(TIME, 'The last time the condition transitioned from one status to another.'),
      reason: str("The reason for the condition's last transition."),
      message: str('A human-readable explanation containing details about the transition.'),
    },
  },
};

