// SPDY/3.1 server framing without a network: a scripted client (its own zlib context with the
// SPDY/3 dictionary) talks to SpdySession through an in-memory transport.
import zlib from 'node:zlib';
import t from 'tap';
import { PortForwardPipe } from './pipe.js';
import { FLAG_FIN, FRAME, SpdySession, controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, type SpdyStream } from './spdy.js';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';
import type { BusStream } from '../../bus/types.js';

function adler32(buf: Buffer): number {
  let a = 1;
  let b = 0;
  for (const x of buf) { a = (a + x) % 65521; b = (b + a) % 65521; }
  return ((b << 16) | a) >>> 0;
}

interface Frame { control: boolean; type: number; flags: number; body: Buffer; streamId: number }

function parseFrames(buf: Buffer): Frame[] {
  const out: Frame[] = [];
  for (let off = 0; off + 8 <= buf.length;) {
    const len = buf.readUInt32BE(off + 4) & 0xffffff;
    const control = (buf[off]! & 0x80) !== 0;
    const body = buf.subarray(off + 8, off + 8 + len);
    out.push({ control, type: control ? buf.readUInt16BE(off + 2) : 0, flags: buf[off + 4]!, body, streamId: control ? (len >= 4 ? body.readUInt32BE(0) & 0x7fffffff : 0) : buf.readUInt32BE(off) & 0x7fffffff });
    off += 8 + len;
  }
  return out;
}

function harness() {
  const written: Buffer[] = [];
  const session = new SpdySession({ write: (f) => { written.push(f); return true; }, onDrain: () => undefined, close: () => undefined });
  const deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  const compress = (block: Buffer) => new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    deflate.on('data', onData);
    deflate.write(block);
    deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => { deflate.off('data', onData); resolve(Buffer.concat(chunks)); });
  });
  const synStream = async (id: number, headers: Record<string, string>, flags = 0) => {
    const head = Buffer.alloc(10);
    head.writeUInt32BE(id, 0);
    return controlFrame(FRAME.synStream, flags, Buffer.concat([head, await compress(encodeHeaderBlock(headers))]));
  };
  const settle = () => new Promise((r) => setTimeout(r, 20));
  const frames = () => parseFrames(Buffer.concat(written));
  return { session, synStream, settle, frames, written, close: () => { deflate.close(); session.close(); } };
}

t.test('the dictionary is the SPDY/3 one (its Adler-32 is the id peers name)', async (t) => {
  t.equal(SPDY3_DICTIONARY.length, 1423);
  t.equal(adler32(SPDY3_DICTIONARY).toString(16), 'e3c6a7c2');
  t.same(decodeHeaderBlock(encodeHeaderBlock({ StreamType: 'data', port: '80' })), { streamtype: 'data', port: '80' }, 'names are lower-cased');
});

t.test('streams: SYN_STREAM in (out of order too), SYN_REPLY and DATA out, window updates, ping, reset', async (t) => {
  const h = harness();
  t.teardown(h.close);
  const streams: SpdyStream[] = [];
  h.session.on('stream', (s: SpdyStream) => { streams.push(s); void s.reply(); });
  h.session.receive(await h.synStream(3, { streamtype: 'data', port: '80', requestid: '0' }));
  h.session.receive(await h.synStream(1, { streamtype: 'error', port: '80', requestid: '0' }));
  await h.settle();
  t.same(streams.map((s) => [s.id, s.headers.streamtype, s.headers.port]), [[3, 'data', '80'], [1, 'error', '80']], 'ids out of order are accepted (spdystream numbers before it writes)');
  const replies = h.frames().filter((f) => f.type === FRAME.synReply);
  t.same(replies.map((f) => f.streamId), [3, 1], 'each stream is answered');

  const received: string[] = [];
  h.session.receive(dataFrame(3, 0, Buffer.from('early ')));
  streams[0]!.consume((d) => received.push(d.toString()));
  h.session.receive(dataFrame(3, FLAG_FIN, Buffer.from('bytes')));
  await h.settle();
  t.same(received, ['early ', 'bytes'], 'data that came before a consumer is kept');
  t.ok(streams[0]!.remoteClosed, 'FIN ends the peer side');
  const updates = h.frames().filter((f) => f.type === FRAME.windowUpdate).map((f) => [f.body.readUInt32BE(0), f.body.readUInt32BE(4)]);
  t.same(updates, [[3, 6], [0, 6], [3, 5], [0, 5]], 'stream and session windows are given back');

  const ping = Buffer.alloc(4);
  ping.writeUInt32BE(7);
  h.session.receive(controlFrame(FRAME.ping, 0, ping));
  await h.settle();
  t.ok(h.frames().some((f) => f.type === FRAME.ping && f.body.readUInt32BE(0) === 7), 'a client ping is echoed');

  await streams[1]!.write(Buffer.from('boom'));
  await streams[1]!.end();
  const out = h.frames().filter((f) => !f.control && f.streamId === 1);
  t.equal(Buffer.concat(out.map((f) => f.body)).toString(), 'boom');
  t.equal(out.at(-1)!.flags & FLAG_FIN, FLAG_FIN, 'end() sends FIN');

  let reset = false;
  const s5: SpdyStream[] = [];
  h.session.on('stream', (s: SpdyStream) => s5.push(s));
  h.session.receive(await h.synStream(5, { streamtype: 'data', port: '81', requestid: '1' }));
  await h.settle();
  s5[0]!.on('reset', () => { reset = true; });
  const rst = Buffer.alloc(8);
  rst.writeUInt32BE(5, 0);
  rst.writeUInt32BE(5, 4);
  h.session.receive(controlFrame(FRAME.rstStream, 0, rst));
  await h.settle();
  t.ok(reset && s5[0]!.wasReset, 'RST_STREAM resets the stream');
});

t.test('sending obeys the peer window once the peer does flow control', async (t) => {
  const h = harness();
  t.teardown(h.close);
  let stream!: SpdyStream;
  h.session.on('stream', (s: SpdyStream) => { stream = s; });
  // SETTINGS: one entry, INITIAL_WINDOW_SIZE (7) = 1000.
  const settings = Buffer.alloc(12);
  settings.writeUInt32BE(1, 0);
  settings.writeUInt32BE(7, 4);
  settings.writeUInt32BE(1000, 8);
  h.session.receive(controlFrame(FRAME.settings, 0, settings));
  h.session.receive(await h.synStream(1, { streamtype: 'data', port: '80' }));
  await h.settle();
  let done = false;
  const writing = stream.write(Buffer.alloc(2500, 1)).then(() => { done = true; });
  await h.settle();
  const sent = () => h.frames().filter((f) => !f.control && f.streamId === 1).reduce((n, f) => n + f.body.length, 0);
  t.equal(sent(), 1000, 'stops at the window');
  t.notOk(done);
  const update = (id: number, delta: number) => { const b = Buffer.alloc(8); b.writeUInt32BE(id, 0); b.writeUInt32BE(delta, 4); return controlFrame(FRAME.windowUpdate, 0, b); };
  h.session.receive(update(1, 2000));
  h.session.receive(update(0, 100_000));
  await writing;
  t.equal(sent(), 2500, 'continues after WINDOW_UPDATE');
});

t.test('PortForwardPipe: credit stops the sender at the window until the receiver acks', async (t) => {
  // Two BusStream ends joined in memory.
  const makeEnd = () => {
    const queue: Uint8Array[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const end: BusStream & { push(c: Uint8Array): void; finish(): void } = {
      push: (c) => { queue.push(c); wake?.(); },
      finish: () => { ended = true; wake?.(); },
      send: () => undefined,
      end: () => undefined,
      fail: () => undefined,
      closed: Promise.resolve(),
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const next = queue.shift();
          if (next) { yield next; continue; }
          if (ended) return;
          await new Promise<void>((r) => { wake = r; });
        }
      },
    };
    return end;
  };
  const a = makeEnd();
  const b = makeEnd();
  a.send = (c) => b.push(typeof c === 'string' ? Buffer.from(c) : c);
  b.send = (c) => a.push(typeof c === 'string' ? Buffer.from(c) : c);
  a.end = () => b.finish();
  b.end = () => a.finish();
  const sender = new PortForwardPipe(a, 100);
  const receiver = new PortForwardPipe(b, 100);
  const got: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let fin = false;
  const receiving = receiver.receive(async (d) => { got.push(d.length); await gate; }, () => { fin = true; });
  const senderAcks = sender.receive(() => undefined, () => undefined);
  t.ok(sender.send(new Uint8Array(60)), 'room left after 60 of 100');
  t.notOk(sender.send(new Uint8Array(60)), 'full after 120');
  let writable = false;
  void sender.whenWritable().then(() => { writable = true; });
  await new Promise((r) => setTimeout(r, 20));
  t.notOk(writable, 'waits while the receiver has not handed the data on');
  release();
  await new Promise((r) => setTimeout(r, 20));
  t.ok(writable, 'writable again once acked');
  sender.finish();
  await new Promise((r) => setTimeout(r, 20));
  t.ok(fin, 'half-close reaches the other side');
  t.same(got, [60, 60]);
  sender.end();
  receiver.end();
  await Promise.all([receiving, senderAcks]);
});
