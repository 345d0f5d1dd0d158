// Topology domains as numbers: node index → id of the node's value for a topology key (−1: the
// label is missing), remembered per node version (labels change only with the Node object). Batch
// plugins count per domain in typed arrays instead of looking labels up per node and cycle.
import type { NodeColumns } from '../../framework/interfaces.js';
import { ChangeCursor, type NodeChanges } from './changes.js';
import { grown } from './grow.js';

/** Node index → id of its value for one topology key (−1: label missing), remembered per node version. */
export class DomainIndex {
  version = new Float64Array(0);
  id = new Int32Array(0);
  readonly values: string[] = [];
  /** Value → id. */
  readonly ids = new Map<string, number>();

  constructor(readonly key: string) {}

  /** The id of `value`, given one if it has none yet (ids are never taken back). */
  intern(value: string): number {
    let d = this.ids.get(value);
    if (d === undefined) {
      d = this.values.length;
      this.values.push(value);
      this.ids.set(value, d);
    }
    return d;
  }

  /** Slots 0..count-1 whose node lacks the label (as of the last refresh). */
  missing = 0;
  private synced = 0;

  /** The NodeChanges pass this index is up to date with (0: none, visit every slot next time). */
  private readonly cursor = new ChangeCursor();

  /** Brings the ids up to date: the slots `changes` found since the last refresh (scanned for this cycle), else every slot. */
  refresh(columns: NodeColumns, changes?: NodeChanges): this {
    const n = columns.count;
    if (this.id.length < n) {
      this.version = grown(this.version, n);
      this.id = grown(this.id, n);
    }
    const changed = this.cursor.advance(changes);
    if (changed) {
      for (const i of changed) {
        if (i >= n) this.leave(i);
        else this.visit(columns, i);
      }
    } else {
      for (let i = n; i < this.synced; i++) this.leave(i);
      const version = this.version;
      const seen = columns.version;
      for (let i = 0; i < n; i++) if (version[i] !== seen[i]) this.visit(columns, i);
    }
    this.synced = n;
    return this;
  }

  /** Slot i lost its node (version 0: computed afresh if a node takes it again). */
  private leave(i: number): void {
    if (i >= this.version.length) return;
    if (this.version[i] !== 0 && this.id[i] === -1) this.missing--;
    this.version[i] = 0;
  }

  private visit(columns: NodeColumns, i: number): void {
    const v = columns.version[i]!;
    if (this.version[i] === v) return;
    if (this.version[i] !== 0 && this.id[i] === -1) this.missing--;
    this.version[i] = v;
    const labels = columns.nodes[i]!.node.metadata.labels as Record<string, unknown> | undefined;
    const value = labels?.[this.key];
    // Label values are strings; inherited members (a key like "constructor") are not.
    if (typeof value !== 'string' || !Object.prototype.hasOwnProperty.call(labels, this.key)) {
      this.id[i] = -1;
      this.missing++;
    } else this.id[i] = this.intern(value);
  }
}

/** One DomainIndex per topology key. */
export class DomainIndexes {
  private readonly byKey = new Map<string, DomainIndex>();

  /** The index for `key` (without bringing it up to date: for interning values). */
  index(key: string): DomainIndex {
    let d = this.byKey.get(key);
    if (!d) {
      // Topology keys are few (zone, hostname, region…); a cluster with many just starts over.
      if (this.byKey.size >= 64) this.byKey.clear();
      d = new DomainIndex(key);
      this.byKey.set(key, d);
    }
    return d;
  }

  /** The index for `key`, brought up to date with `columns` (visiting the slots `changes` found, if given). */
  get(key: string, columns: NodeColumns, changes?: NodeChanges): DomainIndex {
    return this.index(key).refresh(columns, changes);
  }
}
