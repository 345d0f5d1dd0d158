// Public surface of the controller library (see README.md).
export { Controller, defaultLeaderElection, type ControllerDeps, type ControllerOptions, type LeaderElectionOptions, type SyncResult } from './controller.js';
export { Expectations } from './expectations.js';
export { Informer, objectKeyOf, splitKey, type InformerHandlers, type InformerOptions } from './informer.js';
export { LeaderElector, LEASES, microTime, type LeaderElectionConfig } from './leader.js';
export { claimObjects, controllerRef, isControlledBy, newControllerRef, type ClaimOptions } from './owners.js';
export { createPods, deletePods, podFromTemplate, PODS, type PodTemplateLike } from './podcontrol.js';
export * from './pods.js';
export { WorkQueue, type WorkQueueOptions } from './workqueue.js';
