// Per-node yes/no answers remembered across cycles for one key (e.g. a pod's node selector), valid
// while the node's object stays the same: nodes are replaced, never mutated, when they change.
// Thousands of pods with the same selector then cost a pointer compare per node, not a match.
import type { Node, NodeColumns, NodeInfo } from '../../framework/interfaces.js';
import { grown } from './grow.js';

interface Entry {
  /** By node index: the Node object the verdict was computed for (without columns). */
  seen: (Node | undefined)[];
  /** By node index: the NodeColumns version it was computed for (with columns). */
  version: Float64Array;
  ok: Uint8Array;
  /** With columns: NodeColumns.changes.nodes and count when the lanes were last checked, and how many failed. */
  stamp: number;
  lanes: number;
  failing: number;
}

export class NodeVerdicts {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxKeys = 64) {}

  /** Clears `pass[node.index]` for each node `matches` rejects, reusing remembered answers. */
  screen(key: string, nodes: readonly NodeInfo[], pass: Uint8Array, matches: (node: Node) => boolean, columns?: NodeColumns): void {
    let e = this.entries.get(key);
    if (!e) {
      // Many distinct selectors (unusual) just start over: a bounded cache, not an LRU.
      if (this.entries.size >= this.maxKeys) this.entries.clear();
      e = { seen: [], version: new Float64Array(0), ok: new Uint8Array(0), stamp: -1, lanes: 0, failing: 0 };
      this.entries.set(key, e);
    }
    if (columns) {
      const n = columns.count;
      // No node object changed since every lane was checked and none failed: nothing to clear.
      const stamp = columns.changes?.nodes ?? -1;
      if (stamp >= 0 && stamp === e.stamp && n === e.lanes && e.failing === 0) return;
      if (e.ok.length < n) this.grow(e, n);
      const version = columns.version;
      const mine = e.version;
      const ok = e.ok;
      let failing = 0;
      for (let i = 0; i < n; i++) {
        if (mine[i] !== version[i]) {
          mine[i] = version[i]!;
          ok[i] = matches(columns.nodes[i]!.node) ? 1 : 0;
        }
        if (ok[i] === 0) {
          pass[i] = 0;
          failing++;
        }
      }
      e.stamp = stamp;
      e.lanes = n;
      e.failing = failing;
      return;
    }
    for (let i = 0; i < nodes.length; i++) {
      const ni = nodes[i]!;
      const idx = ni.index;
      if (idx >= e.ok.length) this.grow(e, idx + 1);
      if (e.seen[idx] !== ni.node) {
        e.seen[idx] = ni.node;
        e.ok[idx] = matches(ni.node) ? 1 : 0;
      }
      if (e.ok[idx] === 0) pass[idx] = 0;
    }
  }

  private grow(e: Entry, atLeast: number): void {
    // Version 0 is never a node's: new lanes are recomputed on first use.
    e.ok = grown(e.ok, atLeast);
    e.version = grown(e.version, atLeast);
  }

}
