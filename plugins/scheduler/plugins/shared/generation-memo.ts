// Answers about a node's pods remembered per node index while the node's generation (its pods
// and its object) stays the same, one table per key (what the answer depends on besides the
// node, e.g. the incoming pod's labels). A pod's PreFilter then recomputes only the nodes that
// changed since the last pod with the same key: after each binding, one node.
import type { NodeColumns, NodeInfo } from '../../framework/interfaces.js';
import { grown } from './grow.js';

interface Table {
  generation: Float64Array;
  values: unknown[];
}

/** The answers of one key: by NodeInfo, or by node index of the snapshot's columns. */
export interface MemoTable<T> {
  on(ni: NodeInfo): T;
  /** Reads the NodeInfo (columns.nodes[i]) only when the node changed since the answer was kept. */
  at(columns: NodeColumns, i: number): T;
}

export class GenerationMemo {
  private readonly tables = new Map<string, Table>();

  constructor(private readonly maxKeys = 64) {}

  /** The remembered-or-computed answers for `key`; resolve once per cycle, ask per node. */
  table<T>(key: string, compute: (ni: NodeInfo) => T): MemoTable<T> {
    let t = this.tables.get(key);
    if (!t) {
      // Many distinct keys (unusual) just start over: a bounded cache, not an LRU.
      if (this.tables.size >= this.maxKeys) this.tables.clear();
      t = { generation: new Float64Array(0), values: [] };
      this.tables.set(key, t);
    }
    const table = t;
    const lookup = (i: number, generation: number, ni: () => NodeInfo): T => {
      if (i >= table.generation.length) table.generation = grown(table.generation, i + 1);
      // Generation 0 is never a node's: fresh lanes are computed on first use.
      if (table.generation[i] !== generation) {
        table.generation[i] = generation;
        table.values[i] = compute(ni());
      }
      return table.values[i] as T;
    };
    return {
      // Nodes outside a snapshot (index −1, in tests) are computed every time.
      on: (ni) => (ni.index < 0 ? compute(ni) : lookup(ni.index, ni.generation, () => ni)),
      at: (columns, i) => lookup(i, columns.generation[i]!, () => columns.nodes[i]!),
    };
  }
}
