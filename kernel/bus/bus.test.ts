import t from 'tap';
import { startTestNats } from '../testing/nats.js';
import { NatsBus } from './nats-bus.js';

t.test('bus over a real nats-server', async (t) => {
  const nats = await startTestNats(t);
  const a = new NatsBus(await nats.connect());
  const b = new NatsBus(await nats.connect());

  await t.test('publish/subscribe', async (t) => {
    const got: string[] = [];
    const sub = b.subscribe('kite.test.events', (m) => got.push(m.text()));
    await b.flush();
    a.publish('kite.test.events', 'one');
    a.publish('kite.test.events', { two: 2 });
    await a.flush();
    await new Promise((r) => setTimeout(r, 50));
    sub.unsubscribe();
    t.same(got, ['one', '{"two":2}']);
  });

  await t.test('request/reply, errors and missing responders', async (t) => {
    const sub = b.serve('kite.test.echo', (m) => {
      const req = m.json<{ n: number }>();
      if (req.n < 0) throw new Error('n must not be negative');
      return { n: req.n * 2 };
    });
    await b.flush();
    t.same((await a.request('kite.test.echo', { n: 21 })).json(), { n: 42 });
    await t.rejects(a.request('kite.test.echo', { n: -1 }), /kite\.test\.echo: n must not be negative/);
    await t.rejects(a.request('kite.test.nobody', {}, { timeoutMs: 500 }), /no responder for kite\.test\.nobody/);
    sub.unsubscribe();
  });

  await t.test('bidirectional stream keeps order and ends', async (t) => {
    const sub = b.serveStreams('kite.test.upper', async (stream, init) => {
      stream.send(`hello ${init.text()}\n`);
      for await (const chunk of stream) stream.send(Buffer.from(chunk).toString().toUpperCase());
      stream.end();
    });
    await b.flush();
    const s = await a.openStream('kite.test.upper', 'client');
    for (let i = 0; i < 100; i++) s.send(`x${i};`);
    s.end();
    let out = '';
    for await (const chunk of s) out += Buffer.from(chunk).toString();
    t.equal(out, 'hello client\n' + Array.from({ length: 100 }, (_, i) => `X${i};`).join(''));
    sub.unsubscribe();
  });

  await t.test('stream failure reaches the reader', async (t) => {
    const sub = b.serveStreams('kite.test.fail', (stream) => {
      stream.send('partial');
      stream.fail('container not found');
    });
    await b.flush();
    const s = await a.openStream('kite.test.fail');
    const chunks: string[] = [];
    await t.rejects(
      (async () => { for await (const c of s) chunks.push(Buffer.from(c).toString()); })(),
      /container not found/,
    );
    t.same(chunks, ['partial']);
    await t.rejects(a.openStream('kite.test.none', undefined, { timeoutMs: 300 }), /no responder|did not answer/);
    sub.unsubscribe();
  });
});
