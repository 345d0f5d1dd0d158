// The smallest of n numbers, kept under point updates in O(log n) (an iterative segment tree over
// a typed array): the cache keeps the least free cpu, memory and pod slots over all nodes, so a
// pod that fits the least-free node fits every node without a loop over them.
export class MinTree {
  private readonly size: number;
  private readonly tree: Float64Array;

  constructor(capacity: number) {
    let size = 1;
    while (size < Math.max(1, capacity)) size *= 2;
    this.size = size;
    this.tree = new Float64Array(2 * size).fill(Infinity);
  }

  /** Sets leaf i (Infinity = no value: an empty slot never bounds the minimum). */
  set(i: number, value: number): void {
    const t = this.tree;
    let at = this.size + i;
    if (t[at] === value) return;
    t[at] = value;
    for (at >>= 1; at >= 1; at >>= 1) {
      const m = Math.min(t[2 * at]!, t[2 * at + 1]!);
      if (t[at] === m) break;
      t[at] = m;
    }
  }

  /** The minimum over every leaf (Infinity when all are empty). */
  get min(): number {
    return this.tree[1]!;
  }
}
