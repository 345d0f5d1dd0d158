import t from 'tap';
import { cloneJson } from './clone.js';

t.test('cloneJson copies JSON data deeply', async (t) => {
  const src = { a: 1, b: 'x', c: null, d: [1, { e: [true, false] }], f: { g: { h: 'i' } }, u: undefined };
  const c = cloneJson(src);
  t.same(c, src);
  t.equal(JSON.stringify(c), JSON.stringify(src), 'encodes the same');
  t.not(c.d, src.d);
  t.not(c.d[1], src.d[1]);
  t.not(c.f.g, src.f.g);
  (c.f.g as { h: string }).h = 'changed';
  t.equal(src.f.g.h, 'i', 'the source is untouched');
});

t.test('cloneJson keeps non-plain values as structuredClone does', async (t) => {
  const when = new Date('2026-11-23T00:00:00Z');
  const c = cloneJson({ when, bytes: new Uint8Array([1, 2]) });
  t.ok(c.when instanceof Date);
  t.equal(c.when.toISOString(), when.toISOString());
  t.not(c.when, when);
  t.same([...c.bytes], [1, 2]);
  const frozen = Object.freeze({ a: Object.freeze([1]) });
  t.notOk(Object.isFrozen(cloneJson(frozen)), 'copies of frozen objects are writable');
  t.equal(cloneJson(Object.create(null) as object).constructor, Object, 'null-prototype objects become plain objects');
});
