// A binary heap with removal and re-positioning by key (upstream's internal heap for activeQ and
// backoffQ): O(log n) push, pop, remove and update.
interface Slot<T> {
  item: T;
  key: string;
  /** Where the slot sits in the array: kept here so a swap touches no Map. */
  at: number;
}

export class KeyedHeap<T> {
  private readonly slots: Slot<T>[] = [];
  private readonly index = new Map<string, Slot<T>>();

  constructor(private readonly keyOf: (item: T) => string, private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.slots.length;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  get(key: string): T | undefined {
    return this.index.get(key)?.item;
  }

  peek(): T | undefined {
    return this.slots[0]?.item;
  }

  values(): readonly T[] {
    return this.slots.map((s) => s.item);
  }

  /** Adds, or re-positions the item with the same key. */
  push(item: T): void {
    const key = this.keyOf(item);
    const found = this.index.get(key);
    if (found) {
      found.item = item;
      this.fix(found.at);
      return;
    }
    const slot: Slot<T> = { item, key, at: this.slots.length };
    this.slots.push(slot);
    this.index.set(key, slot);
    this.up(slot.at);
  }

  pop(): T | undefined {
    if (this.slots.length === 0) return undefined;
    return this.removeAt(0);
  }

  remove(key: string): T | undefined {
    const slot = this.index.get(key);
    return slot === undefined ? undefined : this.removeAt(slot.at);
  }

  private removeAt(i: number): T {
    const slot = this.slots[i]!;
    const last = this.slots.pop()!;
    this.index.delete(slot.key);
    if (i < this.slots.length) {
      this.slots[i] = last;
      last.at = i;
      this.fix(i);
    }
    return slot.item;
  }

  private fix(i: number): void {
    if (!this.up(i)) this.down(i);
  }

  private place(slot: Slot<T>, i: number): void {
    this.slots[i] = slot;
    slot.at = i;
  }

  /** Moves the slot at i towards the root while it is less than its parent (a hole, not swaps). */
  private up(i: number): boolean {
    const start = i;
    const slot = this.slots[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = this.slots[parent]!;
      if (!this.less(slot.item, p.item)) break;
      this.place(p, i);
      i = parent;
    }
    if (i !== start) this.place(slot, i);
    return i !== start;
  }

  private down(i: number): void {
    const n = this.slots.length;
    const slot = this.slots[i]!;
    const start = i;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.less(this.slots[r]!.item, this.slots[l]!.item) ? r : l;
      const c = this.slots[child]!;
      if (!this.less(c.item, slot.item)) break;
      this.place(c, i);
      i = child;
    }
    if (i !== start) this.place(slot, i);
  }
}
