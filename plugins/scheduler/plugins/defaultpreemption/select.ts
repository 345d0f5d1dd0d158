// Choosing the preemption node among candidates (upstream pickOneNodeForPreemption): each
// criterion keeps only the best-scoring nodes and the next breaks ties — fewest PDB violations,
// lowest highest-victim priority, smallest priority sum, fewest victims, latest start of the
// highest-priority victims; then the first candidate.
import { podPriority, podStartTime, type Victims } from './victims.js';

export interface Candidate {
  node: string;
  victims: Victims;
}

const INT32_SPAN = 2 ** 31;

/** Upstream GetEarliestPodStartTime: the earliest start among the highest-priority victims. */
export function earliestStartOfTopVictims(v: Victims): number {
  let maxPriority = -Infinity;
  let earliest = Infinity;
  for (const p of v.pods) {
    const prio = podPriority(p);
    const start = podStartTime(p);
    if (prio > maxPriority) {
      maxPriority = prio;
      earliest = start;
    } else if (prio === maxPriority && start < earliest) earliest = start;
  }
  return earliest;
}

const CRITERIA: ((c: Candidate) => number)[] = [
  (c) => -c.victims.numPdbViolations,
  // Victims are sorted most important first: [0] holds the highest priority.
  (c) => -podPriority(c.victims.pods[0]!),
  // Shift every priority to ≥ 0 so a few negative-priority victims do not beat fewer of them.
  (c) => -c.victims.pods.reduce((sum, p) => sum + podPriority(p) + INT32_SPAN, 0),
  (c) => -c.victims.pods.length,
  (c) => earliestStartOfTopVictims(c.victims),
];

export function pickOneCandidate(candidates: readonly Candidate[]): Candidate | undefined {
  if (candidates.length <= 1) return candidates[0];
  let remaining = [...candidates];
  for (const score of CRITERIA) {
    let best = -Infinity;
    let kept: Candidate[] = [];
    for (const c of remaining) {
      const s = score(c);
      if (s > best) {
        best = s;
        kept = [c];
      } else if (s === best) kept.push(c);
    }
    remaining = kept;
    if (remaining.length === 1) return remaining[0];
  }
  return remaining[0];
}
