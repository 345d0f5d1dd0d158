// ImageLocality (Score): favours nodes that already have the pod's images. Raw score per node =
// Σ over init + app containers of size × (nodes having the image / all nodes), truncated to an
// integer (upstream sumImageScores/scaledImageScore); the kernel applies upstream's clamp to
// [23 MiB, 1000 MiB × containers] and scales to 0..100 (normalization `imageLocality`).
import type { ColumnScorePlugin, CycleState, Handle, NodeColumns, NodeInfo, PluginFactory, Pod, PodInfo, Status } from '../../framework/interfaces.js';
import { NodeFlag, SUCCESS } from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { noArgs } from '../shared/fielderrors.js';
import { imageNameCandidates } from '../shared/images.js';

/** The pod's images in upstream's order (init containers, then containers), each as lookup candidates. */
export function podImageCandidates(pod: Pod): string[][] {
  const spec = pod.spec ?? {};
  const out: string[][] = [];
  for (const c of [...((spec.initContainers ?? []) as { image?: string }[]), ...((spec.containers ?? []) as { image?: string }[])]) {
    if (c.image) out.push(imageNameCandidates(c.image));
  }
  return out;
}

/** Upstream sumImageScores for one node; `totalNodes` is the number of nodes in the snapshot. */
export function sumImageScores(node: NodeInfo, images: readonly string[][], totalNodes: number): number {
  if (totalNodes <= 0) return 0;
  let sum = 0;
  for (const candidates of images) {
    for (const name of candidates) {
      const st = node.imageStates.get(name);
      if (!st) continue;
      sum += Math.trunc(st.size * (st.numNodes / totalNodes));
      break; // one image may be listed under several spellings: count it once
    }
  }
  return sum;
}

export class ImageLocality implements ColumnScorePlugin {
  readonly name = Names.ImageLocality;
  readonly normalization = 'imageLocality' as const;
  constructor(private readonly handle: Pick<Handle, 'snapshot'>) {}

  scoreColumn(_state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], raw: Float64Array, columns?: NodeColumns): Status {
    const totalNodes = this.handle.snapshot().list().length;
    const images = podImageCandidates(pod.pod);
    if (columns) {
      const flags = columns.flags;
      if (images.length === 0 || columns.flagged.images === 0) raw.fill(0, 0, columns.count);
      else for (let i = 0; i < columns.count; i++) raw[i] = (flags[i]! & NodeFlag.images) !== 0 ? sumImageScores(columns.nodes[i]!, images, totalNodes) : 0;
      return SUCCESS;
    }
    for (let i = 0; i < nodes.length; i++) {
      const ni = nodes[i]!;
      raw[ni.index] = images.length && ni.imageStates.size ? sumImageScores(ni, images, totalNodes) : 0;
    }
    return SUCCESS;
  }
}

export const imageLocalityFactory: PluginFactory<void> = {
  name: Names.ImageLocality,
  validate: (args) => noArgs(Names.ImageLocality, args),
  create: (_args, handle) => new ImageLocality(handle),
};
