// Numbers per topology pair (topologyKey, value) stored by domain id (DomainIndex), and tallies of
// them kept across cycles. A tally remembers what each node contributed and the generation it was
// computed at, so a cycle re-reads only the nodes that changed since the previous cycle with the
// same tally (after one binding: one node) and a pass over the generation column, instead of
// visiting every pod of the cluster and summing into string-keyed Maps.
import type { Node, NodeColumns, NodeInfo } from '../../framework/interfaces.js';
import { ChangeCursor, type NodeChanges } from './changes.js';
import type { DomainIndex } from './domains.js';
import { grown } from './grow.js';

/** A node's value for a topology key: label values are strings; inherited members are not. */
export function labelValue(node: Node, key: string): string | undefined {
  const labels = node.metadata.labels as Record<string, unknown> | undefined;
  const v = labels?.[key];
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(labels, key) ? v : undefined;
}

interface KeyCounts {
  index: DomainIndex;
  counts: Float64Array;
  /** By domain id + 1 (slot 0: no label, always 0): 1 where the number is > 0. */
  positive: Uint8Array;
}

/**
 * topologyKey → value → number, by domain id; `size` is the number of pairs whose number is not 0.
 * A view() shares the arrays of the counts it was taken from until either side writes: the view
 * copies them on its first write, and reading a view after its origin changed is an error (a
 * view is for the cycle it was taken in).
 */
export class PairCounts {
  private readonly byKey = new Map<string, KeyCounts>();
  size = 0;
  /** Writes so far (views compare it with the value they were taken at). */
  private writes = 0;
  private origin: PairCounts | undefined;
  private takenAt = 0;

  /** `indexOf` gives the DomainIndex whose ids the numbers of a key use. */
  constructor(private readonly indexOf: (key: string) => DomainIndex) {}

  /** A view sharing these arrays (no copy): valid until these counts are written to. */
  view(): PairCounts {
    const v = new PairCounts(this.indexOf);
    for (const [key, k] of this.byKey) v.byKey.set(key, { index: k.index, counts: k.counts, positive: k.positive });
    v.size = this.size;
    v.origin = this.origin ?? this;
    v.takenAt = v.origin.writes;
    return v;
  }

  /** A view's arrays are still its origin's: fails if the origin changed them since. */
  private check(): void {
    if (this.origin && this.origin.writes !== this.takenAt) throw new Error('topology counts read after a later scheduling cycle changed them (a view is valid for one cycle)');
  }

  private of(key: string): KeyCounts {
    this.check();
    let k = this.byKey.get(key);
    if (!k) this.byKey.set(key, (k = { index: this.indexOf(key), counts: new Float64Array(0), positive: new Uint8Array(0) }));
    return k;
  }

  /** Adds `delta` at domain `d` of `key`'s index. */
  addAt(key: string, d: number, delta: number): void {
    if (this.origin) {
      // A view's first write: the arrays become its own.
      this.check();
      for (const k of this.byKey.values()) {
        k.counts = k.counts.slice();
        k.positive = k.positive.slice();
      }
      this.origin = undefined;
    }
    this.writes++;
    const k = this.of(key);
    if (d >= k.counts.length) k.counts = grown(k.counts, d + 1);
    if (d + 1 >= k.positive.length) k.positive = grown(k.positive, d + 2);
    const before = k.counts[d]!;
    const after = before + delta;
    k.counts[d] = after;
    k.positive[d + 1] = after > 0 ? 1 : 0;
    if (before === 0 && after !== 0) this.size++;
    else if (before !== 0 && after === 0) this.size--;
  }

  /** The domain id of `value` in `key`'s index (given one if new). */
  domainOf(key: string, value: string): number {
    return this.of(key).index.intern(value);
  }

  add(key: string, value: string, delta: number): void {
    this.addAt(key, this.domainOf(key, value), delta);
  }

  /** add() for the node's value of `key`, if it has one. */
  addOnNode(node: Node, key: string, delta: number): void {
    const v = labelValue(node, key);
    if (v !== undefined) this.add(key, v, delta);
  }

  get(key: string, value: string): number {
    this.check();
    const k = this.byKey.get(key);
    const d = k?.index.ids.get(value);
    return d === undefined ? 0 : (k!.counts[d] ?? 0);
  }

  /** The number of the node's value of `key` (0 without the label). */
  onNode(node: Node, key: string): number {
    const v = labelValue(node, key);
    return v === undefined ? 0 : this.get(key, v);
  }

  /** The keys that have (or had) numbers. */
  keys(): string[] {
    return [...this.byKey.keys()];
  }

  /**
   * The numbers of `key` by the ids of `index`: the array itself when `index` is the one they are
   * kept by (do not write to it), else a translation. Ids past its end have 0.
   */
  byDomain(key: string, index: DomainIndex): Float64Array {
    this.check();
    const k = this.byKey.get(key);
    if (!k) return new Float64Array(0);
    if (k.index === index) return k.counts;
    const out = new Float64Array(index.values.length);
    for (let d = 0; d < k.counts.length; d++) {
      if (k.counts[d] === 0) continue;
      const to = index.ids.get(k.index.values[d]!);
      if (to !== undefined) out[to] = k.counts[d]!;
    }
    return out;
  }

  /**
   * 1 where the number of `key` is > 0, by id + 1 of `index` (slot 0, a node without the label: 0),
   * covering every id of `index`: the array itself when it is long enough and kept by `index`
   * (do not write to it), else a copy or translation.
   */
  positiveByDomain(key: string, index: DomainIndex): Uint8Array {
    this.check();
    const k = this.byKey.get(key);
    const length = index.values.length + 1;
    if (k && k.index === index) {
      if (k.positive.length >= length) return k.positive;
      const out = new Uint8Array(length);
      out.set(k.positive);
      return out;
    }
    const out = new Uint8Array(length);
    if (!k) return out;
    for (let d = 0; d < k.counts.length; d++) {
      if (!(k.counts[d]! > 0)) continue;
      const to = index.ids.get(k.index.values[d]!);
      if (to !== undefined) out[to + 1] = 1;
    }
    return out;
  }

  /** Pairs whose number is not 0, as [key, value, number] (tests, explain). */
  *entries(): IterableIterator<[string, string, number]> {
    this.check();
    for (const [key, k] of this.byKey) for (let d = 0; d < k.counts.length; d++) if (k.counts[d] !== 0) yield [key, k.index.values[d]!, k.counts[d]!];
  }

  copy(): PairCounts {
    this.check();
    const c = new PairCounts(this.indexOf);
    for (const [key, k] of this.byKey) c.byKey.set(key, { index: k.index, counts: k.counts.slice(), positive: k.positive.slice() });
    c.size = this.size;
    return c;
  }
}

/**
 * One node's contribution: numbers to add to (channel, topologyKey, the node's value of the key,
 * or `label` when given: e.g. "" for nodes without the key).
 */
export type Contribution = readonly (readonly [channel: number, topologyKey: string, value: number, label?: string])[];

interface Added {
  channel: number;
  key: string;
  domain: number;
  value: number;
}

const NOTHING: readonly Added[] = Object.freeze([]);

/**
 * Sums of per-node contributions by (channel, topology pair), kept up to date across cycles. The
 * contribution must depend only on the node and its pods (the NodeInfo generation) and on what
 * the caller keys the tally by. `nodes` counts the nodes whose contribution added anything.
 */
export class DomainTally {
  private seen = new Float64Array(0);
  private added: (readonly Added[])[] = [];
  private synced = 0;
  readonly channels: PairCounts[];
  nodes = 0;

  constructor(channels: number, private readonly indexOf: (key: string) => DomainIndex) {
    this.channels = Array.from({ length: channels }, () => new PairCounts(indexOf));
  }

  /** The NodeChanges pass this tally is up to date with (0: none, visit every node next time). */
  private readonly cursor = new ChangeCursor();

  /**
   * Brings the sums up to date with `columns`, calling `contribute` for nodes that changed: the
   * slots `changes` found since this tally's last sync (scanned for this cycle), else every slot.
   */
  sync(columns: NodeColumns, contribute: (ni: NodeInfo) => Contribution, changes?: NodeChanges): this {
    const n = columns.count;
    if (this.seen.length < n) this.seen = grown(this.seen, n);
    const changed = this.cursor.advance(changes);
    if (changed) {
      for (const i of changed) {
        if (i >= n) this.leave(i);
        else this.visit(columns, i, contribute);
      }
      this.synced = n;
      return this;
    }
    // Slots past the end held nodes that were removed (or moved to a freed slot).
    for (let i = n; i < this.synced; i++) this.leave(i);
    this.synced = n;
    const generation = columns.generation;
    const seen = this.seen;
    for (let i = 0; i < n; i++) {
      // Generation 0 is never a node's; every generation is unique to one state of one node.
      if (seen[i] !== generation[i]) this.visit(columns, i, contribute);
    }
    return this;
  }

  private leave(i: number): void {
    if (i >= this.seen.length) return;
    this.remove(i);
    this.seen[i] = 0;
  }

  /** Slot i: takes back what it added and adds the node's contribution, if its generation changed. */
  private visit(columns: NodeColumns, i: number, contribute: (ni: NodeInfo) => Contribution): void {
    const g = columns.generation[i]!;
    if (this.seen[i] === g) return;
    this.seen[i] = g;
    this.remove(i);
    const ni = columns.nodes[i]!;
    const c = contribute(ni);
    if (c.length === 0) return;
    const added: Added[] = [];
    for (let k = 0; k < c.length; k++) {
      const [channel, key, value, label] = c[k]!;
      const v = label ?? labelValue(ni.node, key);
      if (v === undefined) continue;
      const counts = this.channels[channel]!;
      const domain = counts.domainOf(key, v);
      counts.addAt(key, domain, value);
      added.push({ channel, key, domain, value });
    }
    if (added.length) {
      this.added[i] = added;
      this.nodes++;
    }
  }

  private remove(i: number): void {
    const added = this.added[i];
    if (!added || added.length === 0) return;
    for (const a of added) this.channels[a.channel]!.addAt(a.key, a.domain, -a.value);
    this.added[i] = NOTHING;
    this.nodes--;
  }
}

/** Tallies by key (what the contributions depend on besides the node), bounded: many keys start over. */
export class Tallies {
  private readonly byKey = new Map<string, DomainTally>();

  constructor(private readonly indexOf: (key: string) => DomainIndex, private readonly maxKeys = 64) {}

  get(key: string, channels: number): DomainTally {
    let t = this.byKey.get(key);
    if (!t) {
      if (this.byKey.size >= this.maxKeys) this.byKey.clear();
      t = new DomainTally(channels, this.indexOf);
      this.byKey.set(key, t);
    }
    return t;
  }
}
