// MinTree against a brute-force minimum under random sets and clears.
import t from 'tap';
import { seededRandom } from '../../kernel/testing/random.js';
import { MinTree } from './min-tree.js';

t.test('min equals the brute-force minimum after every update', async (t) => {
  for (const capacity of [1, 2, 5, 64, 1000]) {
    const random = seededRandom(capacity);
    const tree = new MinTree(capacity);
    const values = new Float64Array(capacity).fill(Infinity);
    let mismatches = 0;
    t.equal(tree.min, Infinity, `capacity ${capacity}: empty`);
    for (let step = 0; step < 5000; step++) {
      const i = Math.floor(random() * capacity);
      const v = random() < 0.2 ? Infinity : Math.floor(random() * 100) - 20;
      tree.set(i, v);
      values[i] = v;
      if (tree.min !== Math.min(...values)) mismatches++;
    }
    t.equal(mismatches, 0, `capacity ${capacity}: 5,000 updates agree`);
  }
});
