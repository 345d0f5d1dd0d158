// VolumeBinding (PreFilter, Filter, Reserve, PreBind): the scheduler's hooks for pods with
// PersistentVolumeClaims. Claims must exist and be bound (immediate binding), and a bound PV's
// node affinity must admit the node. Delayed binding (WaitForFirstConsumer: pick or provision a
// PV for the chosen node, bind at PreBind) is left for the volumes issue; see ADVANCED.md.
import type { KubeObject } from '../../../../kernel/objects/types.js';
import {
  SUCCESS, errorStatus, status,
  type ClusterEventWithHint, type CycleState, type EnqueueExtensions, type FilterPlugin, type Handle, type NodeInfo,
  type PluginFactory, type PodInfo, type PreBindPlugin, type PreFilterPlugin, type PreFilterResult, type ReservePlugin, type Status,
} from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { getObject, listObjects, type ObjectListers } from '../listers.js';
import { eventsFor } from '../shared/events.js';
import { ArgsError, fieldError, isInteger, readArgsObject } from '../shared/fielderrors.js';
import { classifyClaims, hasClaims, pvFitsNode, type PodClaims } from './claims.js';

export const ERR_REASON_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
export const ERR_REASON_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const ERR_REASON_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';

const KIND = 'VolumeBindingArgs';
const STATE_KEY = Names.VolumeBinding;

export interface VolumeBindingArgs {
  bindTimeoutSeconds: number;
}

export function validateVolumeBindingArgs(args: unknown): VolumeBindingArgs {
  const a = readArgsObject(args, KIND, ['bindTimeoutSeconds', 'shape']);
  const t = a.bindTimeoutSeconds ?? 600;
  if (!isInteger(t) || t < 0) throw new ArgsError([fieldError.invalid(`${KIND}.bindTimeoutSeconds`, t, 'invalid BindTimeoutSeconds, should not be a negative value')]);
  if (a.shape !== undefined) throw new ArgsError([fieldError.forbidden(`${KIND}.shape`, 'not allowed when feature VolumeCapacityPriority is disabled')]);
  return { bindTimeoutSeconds: t as number };
}

interface StateData {
  claims: PodClaims;
  /** Set by Reserve: nothing left to bind at PreBind. */
  allBound: boolean;
}

export class VolumeBinding implements PreFilterPlugin, FilterPlugin, ReservePlugin, PreBindPlugin, EnqueueExtensions {
  readonly name = Names.VolumeBinding;

  constructor(readonly args: VolumeBindingArgs, private readonly handle: Handle) {}

  /** Does the runtime give us claims at all? Without them every pod passes (documented). */
  private watchesClaims(): boolean {
    const l = this.handle as Handle & ObjectListers;
    return typeof l.getObject === 'function' || listObjects(this.handle, 'persistentvolumeclaims') !== undefined;
  }

  preFilter(state: CycleState, pod: PodInfo): { result?: PreFilterResult; status: Status } {
    if (!hasClaims(pod.pod) || !this.watchesClaims()) return { status: status('Skip') };
    const claims = classifyClaims(this.handle, pod.pod);
    if (typeof claims === 'string') return { status: status('UnschedulableAndUnresolvable', claims) };
    if (claims.unboundImmediate.length > 0) return { status: status('UnschedulableAndUnresolvable', ERR_REASON_UNBOUND_IMMEDIATE) };
    state.write(STATE_KEY, { claims, allBound: false } satisfies StateData);
    return { status: SUCCESS };
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<StateData>(STATE_KEY);
    if (!s) return errorStatus(new Error(`reading "${STATE_KEY}" from cycleState: not found`));
    const reasons: string[] = [];
    for (const pvc of s.claims.bound) {
      const pvName = (pvc.spec as { volumeName: string }).volumeName;
      const pv: KubeObject | undefined = getObject(this.handle, 'persistentvolumes', undefined, pvName);
      if (!pv) {
        reasons.push(ERR_REASON_PV_NOT_EXIST);
        break;
      }
      if (!pvFitsNode(pv, node.node)) {
        reasons.push(ERR_REASON_NODE_CONFLICT);
        break;
      }
    }
    // Delayed binding needs PV matching / provisioning for this node: not implemented yet.
    if (s.claims.unboundDelayed.length > 0) reasons.push(ERR_REASON_BIND_CONFLICT);
    return reasons.length ? status('UnschedulableAndUnresolvable', ...reasons) : SUCCESS;
  }

  reserve(state: CycleState): Status {
    const s = state.read<StateData>(STATE_KEY);
    if (s) s.allBound = s.claims.unboundDelayed.length === 0;
    return SUCCESS;
  }

  unreserve(): void {
    // Nothing was assumed (no delayed binding yet), so there is nothing to revert.
  }

  async preBind(state: CycleState): Promise<Status> {
    const s = state.read<StateData>(STATE_KEY);
    if (!s || s.allBound) return SUCCESS;
    return errorStatus(new Error('binding WaitForFirstConsumer claims at PreBind is not implemented'));
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      ...eventsFor('PersistentVolumeClaim', ['Add', 'Update']),
      ...eventsFor('PersistentVolume', ['Add', 'Update']),
      ...eventsFor('StorageClass', ['Add', 'Update']),
      ...eventsFor('Node', ['Add', 'UpdateNodeLabel', 'UpdateNodeTaint']),
    ];
  }
}

export const volumeBindingFactory: PluginFactory<VolumeBindingArgs> = {
  name: Names.VolumeBinding,
  validate: validateVolumeBindingArgs,
  create: (args, handle) => new VolumeBinding(args, handle),
};
