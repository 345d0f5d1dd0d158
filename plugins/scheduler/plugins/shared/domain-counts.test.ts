// PairCounts views (shared arrays, copy on the view's first write, a stale read fails loudly) and
// DomainIndex's count of nodes missing the label, as slots change, move and go.
import t from 'tap';
import type { Node, NodeColumns, NodeInfo } from '../../framework/interfaces.js';
import { PairCounts } from './domain-counts.js';
import { DomainIndex } from './domains.js';

t.test('a view shares the counts until either side writes', async (t) => {
  const indexes = new Map<string, DomainIndex>();
  const counts = new PairCounts((k) => indexes.get(k) ?? indexes.set(k, new DomainIndex(k)).get(k)!);
  counts.add('zone', 'a', 2);
  counts.add('zone', 'b', 1);
  const view = counts.view();
  t.equal(view.get('zone', 'a'), 2);
  t.equal(view.size, 2);
  t.equal(view.byDomain('zone', indexes.get('zone')!), counts.byDomain('zone', indexes.get('zone')!), 'the same array, not a copy');
  view.add('zone', 'a', -2);
  t.equal(view.get('zone', 'a'), 0, 'the view changed');
  t.equal(view.size, 1);
  t.equal(counts.get('zone', 'a'), 2, 'its origin did not');
  const second = counts.view();
  counts.add('zone', 'c', 1);
  t.throws(() => second.get('zone', 'a'), /later scheduling cycle/, 'a view read after its origin changed fails');
  t.equal(view.get('zone', 'b'), 1, 'a view that copied on write is independent');
  t.same([...counts.entries()].sort(), [['zone', 'a', 2], ['zone', 'b', 1], ['zone', 'c', 1]]);
});

t.test('DomainIndex counts the nodes without the label', async (t) => {
  let version = 1;
  const node = (labels?: Record<string, string>): NodeInfo => ({ node: { metadata: { name: `n${version}`, ...(labels ? { labels } : {}) } } as Node }) as NodeInfo;
  const slots: NodeInfo[] = [];
  const versions = new Float64Array(16);
  const columns = (): NodeColumns => ({ count: slots.length, nodes: slots, version: versions }) as unknown as NodeColumns;
  const set = (i: number, ni: NodeInfo) => {
    slots[i] = ni;
    versions[i] = version++;
  };
  const index = new DomainIndex('zone');
  set(0, node({ zone: 'a' }));
  set(1, node());
  set(2, node({ other: 'x' }));
  set(3, node({ zone: 'b' }));
  index.refresh(columns());
  t.equal(index.missing, 2);
  t.same([...index.id.subarray(0, 4)], [0, -1, -1, 1]);
  set(1, node({ zone: 'b' }));
  index.refresh(columns());
  t.equal(index.missing, 1, 'a node gained the label');
  // Slot 2 is removed: the last node moves into it.
  set(2, slots[3]!);
  slots.length = 3;
  index.refresh(columns());
  t.equal(index.missing, 0, 'the unlabelled node is gone');
  set(3, node());
  index.refresh(columns());
  t.equal(index.missing, 1, 'a new unlabelled node');
  slots.length = 3;
  index.refresh(columns());
  t.equal(index.missing, 0, 'and it went again');
});
