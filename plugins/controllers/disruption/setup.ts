// Options of the disruption controller: only the ones every controller takes (workers,
// leaderElection, identity); two workers, as upstream's kube-controller-manager default.
import { controllerSetup } from '../setup.js';

export const disruptionSetup = controllerSetup({}, 2);
