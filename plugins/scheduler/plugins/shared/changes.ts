// Which node slots changed, found by one pass over the columns' generations per scheduling cycle
// and shared by everything a plugin keeps across cycles (tallies, domain indexes): each of them
// then visits only the slots changed since it was last brought up to date, instead of making its
// own pass over every node. Within one cycle the columns do not change (the cycle is synchronous
// from snapshot to choice), so one pass per cycle is enough.
import type { NodeColumns } from '../../framework/interfaces.js';
import { grown } from './grow.js';

/** How many past passes are kept; a user further behind visits every slot. */
const KEPT_PASSES = 32;

export class NodeChanges {
  private static readonly byColumns = new WeakMap<Float64Array, NodeChanges>();

  /**
   * The tracker of one set of columns (one scheduler cache), shared by every plugin that keeps
   * state across cycles: the first of them to scan in a cycle makes the pass, the others reuse it.
   */
  static of(columns: NodeColumns): NodeChanges {
    let c = NodeChanges.byColumns.get(columns.generation);
    if (!c) NodeChanges.byColumns.set(columns.generation, (c = new NodeChanges()));
    return c;
  }

  private seen = new Float64Array(0);
  private synced = 0;
  private cycle: object | undefined;
  private generations: Float64Array | undefined;
  /** Incremented by every pass; 0 means "never", so users start with a full visit. */
  epoch = 0;
  /** The oldest epoch whose changes `log` still holds (changes after it). */
  private since0 = 0;
  private readonly log: number[][] = [];

  /** One pass per `cycle` (any object standing for the scheduling cycle, e.g. its CycleState). */
  scan(columns: NodeColumns, cycle: object): this {
    if (cycle === this.cycle && columns.generation === this.generations) return this;
    this.cycle = cycle;
    if (columns.generation !== this.generations) {
      // Another set of columns (another cache): nothing logged is about it.
      this.generations = columns.generation;
      this.seen = new Float64Array(0);
      this.synced = 0;
      this.log.length = 0;
      this.epoch++;
      this.since0 = this.epoch;
    }
    const n = columns.count;
    if (this.seen.length < n) this.seen = grown(this.seen, n);
    const seen = this.seen;
    const generation = columns.generation;
    const changed: number[] = [];
    for (let i = n; i < this.synced; i++) {
      changed.push(i);
      seen[i] = 0;
    }
    this.synced = n;
    for (let i = 0; i < n; i++) {
      const g = generation[i]!;
      if (seen[i] === g) continue;
      seen[i] = g;
      changed.push(i);
    }
    this.epoch++;
    this.log.push(changed);
    if (this.log.length > KEPT_PASSES) {
      this.log.shift();
      this.since0++;
    }
    return this;
  }

  /**
   * The slots (possibly repeated, possibly ≥ the current count: nodes gone) changed after pass
   * `epoch`, or undefined when that is further back than the log keeps (or never): visit all.
   */
  since(epoch: number): readonly number[] | undefined {
    if (epoch === this.epoch) return [];
    if (epoch === 0 || epoch < this.since0) return undefined;
    const from = epoch - this.since0;
    if (from === this.log.length - 1) return this.log[from]!;
    return this.log.slice(from).flat();
  }
}

/** A reader's place in one NodeChanges tracker: the slots changed since it last looked. */
export class ChangeCursor {
  private epoch = 0;
  private tracker: NodeChanges | undefined;

  /** Slots changed since the last call; undefined means "visit every slot" (first call, another tracker, too far behind). */
  advance(changes: NodeChanges | undefined): ReturnType<NodeChanges['since']> | undefined {
    // Epochs are a tracker's own: those of another tracker (other columns) say nothing.
    const changed = changes && changes === this.tracker ? changes.since(this.epoch) : undefined;
    this.tracker = changes;
    this.epoch = changes?.epoch ?? 0;
    return changed;
  }
}
