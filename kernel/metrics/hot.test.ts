// The hot metrics must expose exactly what prom-client's own would for the same observations.
import t from 'tap';
import { Counter, Histogram, Registry } from 'prom-client';
import { seededRandom } from '../testing/random.js';
import { HotCounter, HotHistogram, type HotHistogramChild } from './hot.js';

const buckets = [1e-7, 0.0001, 0.001, 0.01, 0.1, 1];

t.test('HotHistogram renders as prom-client Histogram for the same observations', async (t) => {
  const hot = new Registry();
  const ref = new Registry();
  const h = new HotHistogram({ name: 'x_seconds', help: 'h', labelNames: ['a', 'b'] as const, buckets, registers: [hot] });
  const r = new Histogram({ name: 'x_seconds', help: 'h', labelNames: ['a', 'b'] as const, buckets, registers: [ref] });
  const random = seededRandom(7);
  let bound: HotHistogramChild | undefined;
  for (let i = 0; i < 2000; i++) {
    const labels = { a: ['x', 'y', 'z'][Math.floor(random() * 3)]!, b: String(Math.floor(random() * 2)) };
    const v = random() ** 4 * 2;
    h.observe(labels, v);
    r.observe(labels, v);
    if (i === 0) bound = h.labels({ a: 'bound', b: '1' }); // series appear in first-use order
    if (i % 5 === 0) {
      bound!.observe(v);
      r.observe({ a: 'bound', b: '1' }, v);
    }
  }
  h.observe({ a: 'edge' }, 0.01);
  r.observe({ a: 'edge' }, 0.01);
  t.equal(await hot.metrics(), await ref.metrics());
  const json = (await hot.getMetricsAsJSON())[0]!;
  t.match(json, { name: 'x_seconds', type: 'histogram', aggregator: 'sum' });
  t.throws(() => h.observe({ c: 'x' } as never, 1), /Added label "c" is not included/);
  t.throws(() => h.observe({ a: 'x' }, NaN), /not a valid number/);
  h.reset();
  r.reset();
  t.equal(await hot.metrics(), await ref.metrics());
});

t.test('HotCounter renders as prom-client Counter', async (t) => {
  const hot = new Registry();
  const ref = new Registry();
  const c = new HotCounter({ name: 'y_total', help: 'c', labelNames: ['result'] as const, registers: [hot] });
  const r = new Counter({ name: 'y_total', help: 'c', labelNames: ['result'] as const, registers: [ref] });
  for (const result of ['ok', 'ok', 'Conflict', 'ok']) {
    c.inc({ result });
    r.inc({ result });
  }
  c.inc({ result: 'ok' }, 2.5);
  r.inc({ result: 'ok' }, 2.5);
  const bound = c.labels({ result: 'bound' });
  bound.inc();
  bound.inc(2);
  r.inc({ result: 'bound' }, 3);
  t.equal(await hot.metrics(), await ref.metrics());
  t.throws(() => c.inc({ result: 'ok' }, -1), /not possible to decrease/);
  const unlabelled = new HotCounter({ name: 'z_total', help: 'z', registers: [hot] });
  unlabelled.inc();
  unlabelled.inc(2);
  t.match(await hot.metrics(), /^z_total 3$/m);
});
