// policy/v1 types: PodDisruptionBudget (spec, status).
import { LABEL_SELECTOR, META, TIME, byKey, int, int64, intOrString, list, mapOf, obj, str, topLevel, type TypeDef } from './dsl.js';

const POLICY = 'io.k8s.api.policy.v1.';

export const policyTypes: Record<string, TypeDef> = {
  [`${POLICY}PodDisruptionBudget`]: {
    description: 'The maximum disruption that can be caused to a collection of pods.',
    fields: topLevel('PodDisruptionBudget', `${POLICY}PodDisruptionBudgetSpec`, `${POLICY}PodDisruptionBudgetStatus`),
  },
  [`${POLICY}PodDisruptionBudgetSpec`]: {
    description: 'Description of a PodDisruptionBudget.',
    fields: {
      minAvailable: intOrString('An eviction is allowed if at least this many (or this percentage) of the selected pods are still available after it. Mutually exclusive with maxUnavailable.'),
      maxUnavailable: intOrString('An eviction is allowed if at most this many (or this percentage) of the selected pods are unavailable after it. Mutually exclusive with minAvailable.'),
      selector: obj(LABEL_SELECTOR, 'Label query over pods whose evictions are managed by the budget; an empty selector selects all pods in the namespace.', { strategies: ['replace'] }),
      unhealthyPodEvictionPolicy: str('When running but not yet healthy pods may be evicted: IfHealthyBudget (default) or AlwaysAllow.', { enum: ['AlwaysAllow', 'IfHealthyBudget'] }),
    },
  },
  [`${POLICY}PodDisruptionBudgetStatus`]: {
    description: 'Information about the status of a PodDisruptionBudget; may trail the actual state of the system.',
    fields: {
      observedGeneration: int64('The generation the disruption controller last acted on.'),
      disruptedPods: mapOf(TIME, 'Pods whose eviction was processed by the API server but not yet observed by the controller, with the time of the eviction.'),
      disruptionsAllowed: int('Number of pod disruptions that are currently allowed.'),
      currentHealthy: int('Current number of healthy pods.'),
      desiredHealthy: int('Minimum desired number of healthy pods.'),
      expectedPods: int('Total number of pods counted by this disruption budget.'),
      conditions: list(`${META}Condition`, 'DisruptionAllowed: whether the budget allows evictions now (reasons SufficientPods, InsufficientPods, SyncFailed).', { ...byKey('type'), listType: 'map', listMapKeys: ['type'] }),
    },
  },
};
