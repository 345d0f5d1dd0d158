// KeyedHeap against a sorted array: random pushes, re-positions (same key, new priority), removals.
import t from 'tap';
import { seededRandom } from '../../kernel/testing/random.js';
import { KeyedHeap } from './heap.js';

interface Item { key: string; prio: number; seq: number }

t.test('pops in order through pushes, updates and removals', async (t) => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const random = seededRandom(seed);
    const less = (a: Item, b: Item) => a.prio < b.prio || (a.prio === b.prio && a.seq < b.seq);
    const heap = new KeyedHeap<Item>((i) => i.key, less);
    const model = new Map<string, Item>();
    let seq = 0;
    let mismatches = 0;
    for (let step = 0; step < 3000; step++) {
      const op = random();
      const key = `k${Math.floor(random() * 200)}`;
      if (op < 0.5) {
        const item = { key, prio: Math.floor(random() * 50), seq: seq++ };
        heap.push(item);
        model.set(key, item);
      } else if (op < 0.7) {
        if (heap.remove(key)?.key !== model.get(key)?.key) mismatches++;
        model.delete(key);
      } else {
        const expected = [...model.values()].sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0))[0];
        const got = heap.pop();
        if (got !== expected) mismatches++;
        if (expected) model.delete(expected.key);
      }
      if (heap.size !== model.size || heap.has(key) !== model.has(key) || heap.get(key) !== model.get(key)) mismatches++;
    }
    const rest: Item[] = [];
    for (let i = heap.pop(); i; i = heap.pop()) rest.push(i);
    t.same(rest, [...model.values()].sort((a, b) => (less(a, b) ? -1 : 1)), `seed ${seed}: drains in order`);
    t.equal(mismatches, 0, `seed ${seed}: every step agrees with the model`);
  }
});
