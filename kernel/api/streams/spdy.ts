// The server side of SPDY/3.1 framing, as much as kubectl port-forward needs: streams opened by the
// client (SYN_STREAM) and answered (SYN_REPLY), DATA with FIN, RST_STREAM, PING echo, GOAWAY,
// SETTINGS and WINDOW_UPDATE. Header blocks are zlib streams (one per direction for the whole
// session) primed with the SPDY/3 dictionary. The transport is any byte pipe: the TLS socket after
// an `Upgrade: SPDY/3.1`, or WebSocket binary messages (`SPDY/3.1+portforward.k8s.io`).
//
// Flow control: we replenish the peer's windows (stream and session) as soon as a DATA frame has
// been handed on, so a peer that enforces windows is never stalled by us. Our own sending obeys the
// peer's windows once the peer shows it does flow control (it sends WINDOW_UPDATE or
// SETTINGS_INITIAL_WINDOW_SIZE): Go's spdystream, which kubectl uses, never sends WINDOW_UPDATE
// and reads without windows, so enforcing 64 KiB against it would stall every transfer.
import { EventEmitter } from 'node:events';
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';

const VERSION = 3;
export const FRAME = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goaway: 7, headers: 8, windowUpdate: 9 } as const;
export const FLAG_FIN = 0x01;
export const RST = { protocolError: 1, invalidStream: 2, refusedStream: 3, cancel: 5, internalError: 6, flowControlError: 7 } as const;
const SETTINGS_INITIAL_WINDOW_SIZE = 7;
const DEFAULT_WINDOW = 64 * 1024;
/** Largest DATA payload we send in one frame. */
const MAX_DATA = 16 * 1024;

export type SpdyHeaders = Record<string, string>;

/** Where frames go and come from; `write` returns false when the peer is slow (then wait for `drain`). */
export interface SpdyTransport {
  write(frame: Buffer): boolean;
  onDrain(listener: () => void): void;
  close(): void;
}

/** A zlib stream kept across header blocks, flushed (Z_SYNC_FLUSH) after each. */
class HeaderZlib {
  private chain: Promise<unknown> = Promise.resolve();
  constructor(private readonly engine: zlib.Inflate | zlib.Deflate) {
    engine.on('error', () => undefined);
  }

  run(input: Buffer): Promise<Buffer> {
    const next = this.chain.then(() => new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const onData = (c: Buffer) => chunks.push(c);
      const onError = (e: Error) => { cleanup(); reject(e); };
      const cleanup = () => { this.engine.off('data', onData); this.engine.off('error', onError); };
      this.engine.on('data', onData);
      this.engine.once('error', onError);
      this.engine.write(input);
      this.engine.flush(zlib.constants.Z_SYNC_FLUSH, () => { cleanup(); resolve(Buffer.concat(chunks)); });
    }));
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.engine.close();
  }
}

export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase());
    const v = Buffer.from(value);
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const out: SpdyHeaders = {};
  let off = 0;
  const need = (n: number) => { if (off + n > block.length) throw new Error('truncated header block'); };
  need(4);
  const count = block.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < count; i++) {
    need(4);
    const nl = block.readUInt32BE(off); off += 4; need(nl);
    const name = block.toString('utf8', off, off + nl); off += nl;
    need(4);
    const vl = block.readUInt32BE(off); off += 4; need(vl);
    // Several values of one name are NUL-separated; port-forward headers have one each.
    out[name.toLowerCase()] = block.toString('utf8', off, off + vl).split('\0')[0]!; off += vl;
  }
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24 | body.length) >>> 0, 4);
  return Buffer.concat([head, body]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(((flags & 0xff) << 24 | data.length) >>> 0, 4);
  return Buffer.concat([head, data]);
}

/**
 * One stream opened by the peer. Its data goes to the listener given to `consume` (kept until
 * then: the peer may send before we are ready); events `end` (peer FIN) and `reset`.
 */
export class SpdyStream extends EventEmitter {
  /** The peer has finished sending (FIN or reset). */
  remoteClosed = false;
  /** The stream was reset (by either side) rather than finished. */
  wasReset = false;
  private buffered: Buffer[] = [];
  private consumer?: (data: Buffer) => void;
  /** We have finished sending (FIN or reset). */
  localClosed = false;
  sendWindow: number;
  private windowWaiters: Array<() => void> = [];

  constructor(readonly id: number, readonly headers: SpdyHeaders, private readonly session: SpdySession, initialWindow: number) {
    super();
    this.sendWindow = initialWindow;
  }

  consume(listener: (data: Buffer) => void): void {
    this.consumer = listener;
    for (const d of this.buffered.splice(0)) listener(d);
  }

  /** @internal */
  pushData(data: Buffer): void {
    if (this.consumer) this.consumer(data);
    else this.buffered.push(data);
  }

  reply(headers: SpdyHeaders = {}, fin = false): Promise<void> {
    if (fin) this.localClosed = true;
    return this.session.sendReply(this, headers, fin);
  }

  /** Sends data in frames of at most 16 KiB, within the peer's window; resolves when the transport took it. */
  async write(data: Buffer): Promise<void> {
    for (let off = 0; off < data.length && !this.localClosed;) {
      const size = await this.session.reserve(this, Math.min(MAX_DATA, data.length - off));
      if (size === 0) return;
      await this.session.sendData(this, data.subarray(off, off + size), false);
      off += size;
    }
  }

  /** FIN: nothing more from us. */
  end(): Promise<void> {
    if (this.localClosed) return Promise.resolve();
    this.localClosed = true;
    return this.session.sendData(this, Buffer.alloc(0), true);
  }

  reset(status: number = RST.cancel): void {
    if (this.localClosed && this.remoteClosed) return;
    this.localClosed = true;
    this.session.sendReset(this.id, status);
    this.closeRemote('reset');
  }

  /** @internal */
  closeRemote(event: 'end' | 'reset'): void {
    if (event === 'reset') { this.localClosed = true; this.wasReset = true; }
    this.wakeWriters();
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.emit(event);
  }

  /** @internal */
  waitWindow(): Promise<void> {
    return new Promise((resolve) => this.windowWaiters.push(resolve));
  }

  /** @internal */
  wakeWriters(): void {
    for (const w of this.windowWaiters.splice(0)) w();
  }
}

/**
 * A SPDY/3.1 server session. Feed it the bytes read from the transport with `receive`; it emits
 * `stream` (SpdyStream) for each SYN_STREAM, `error` (Error) for a protocol error (the session is
 * then closed with GOAWAY) and `close` once.
 */
export class SpdySession extends EventEmitter {
  private readonly streams = new Map<number, SpdyStream>();
  private readonly inflate = new HeaderZlib(zlib.createInflate({ dictionary: SPDY3_DICTIONARY }));
  private readonly deflate = new HeaderZlib(zlib.createDeflate({ dictionary: SPDY3_DICTIONARY }));
  private pending: Buffer = Buffer.alloc(0);
  private pumping = false;
  private out: Promise<void> = Promise.resolve();
  private closed = false;
  private lastStreamId = 0;
  /** True once the peer shows it does flow control; until then our sends are not held back. */
  private peerFlowControl = false;
  private initialSendWindow = DEFAULT_WINDOW;
  private sessionSendWindow = DEFAULT_WINDOW;
  private drainWaiters: Array<() => void> = [];
  private sessionWindowWaiters: Array<() => void> = [];

  constructor(private readonly transport: SpdyTransport) {
    super();
    transport.onDrain(() => { for (const w of this.drainWaiters.splice(0)) w(); });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  receive(chunk: Buffer): void {
    if (this.closed) return;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (!this.closed && this.pending.length >= 8) {
        const length = this.pending.readUInt32BE(4) & 0xffffff;
        if (this.pending.length < 8 + length) break;
        const frame = this.pending.subarray(0, 8 + length);
        this.pending = this.pending.subarray(8 + length);
        await this.handleFrame(frame);
      }
    } catch (e) {
      this.emit('error', e as Error);
      this.goAway(1);
    } finally {
      this.pumping = false;
    }
  }

  private async handleFrame(frame: Buffer): Promise<void> {
    const flags = frame[4]!;
    const body = frame.subarray(8);
    if ((frame[0]! & 0x80) === 0) return this.onData(frame.readUInt32BE(0) & 0x7fffffff, flags, body);
    const version = frame.readUInt16BE(0) & 0x7fff;
    if (version !== VERSION) throw new Error(`unsupported SPDY version ${version}`);
    const type = frame.readUInt16BE(2);
    switch (type) {
      case FRAME.synStream: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflate.run(body.subarray(10)));
        // Go's spdystream numbers streams before it takes the write lock, so ids may arrive out of
        // order under concurrency: only a reused or server-side (even) id is refused.
        if (id === 0 || id % 2 === 0 || this.streams.has(id)) {
          this.sendReset(id, RST.protocolError);
          return;
        }
        this.lastStreamId = Math.max(this.lastStreamId, id);
        const stream = new SpdyStream(id, headers, this, this.initialSendWindow);
        this.streams.set(id, stream);
        if (flags & FLAG_FIN) stream.remoteClosed = true;
        this.emit('stream', stream);
        return;
      }
      case FRAME.headers:
      case FRAME.synReply:
        // Keep the shared zlib context in step even though we need nothing from these.
        await this.inflate.run(body.subarray(4));
        if (flags & FLAG_FIN) this.streams.get(body.readUInt32BE(0) & 0x7fffffff)?.closeRemote('end');
        return;
      case FRAME.rstStream: {
        const stream = this.streams.get(body.readUInt32BE(0) & 0x7fffffff);
        if (stream) {
          stream.localClosed = true;
          stream.closeRemote('reset');
          this.forget(stream);
        }
        return;
      }
      case FRAME.settings:
        for (let i = 0, n = body.readUInt32BE(0); i < n; i++) {
          const id = body.readUInt32BE(4 + i * 8) & 0xffffff;
          const value = body.readUInt32BE(8 + i * 8);
          if (id === SETTINGS_INITIAL_WINDOW_SIZE) {
            const delta = value - this.initialSendWindow;
            this.initialSendWindow = value;
            this.peerFlowControl = true;
            for (const s of this.streams.values()) { s.sendWindow += delta; s.wakeWriters(); }
          }
        }
        return;
      case FRAME.ping:
        // Client pings are odd; echo them unchanged.
        this.enqueue(() => frame);
        return;
      case FRAME.goaway:
        this.close();
        return;
      case FRAME.windowUpdate: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const delta = body.readUInt32BE(4) & 0x7fffffff;
        this.peerFlowControl = true;
        if (id === 0) {
          this.sessionSendWindow += delta;
          for (const w of this.sessionWindowWaiters.splice(0)) w();
        } else {
          const s = this.streams.get(id);
          if (s) { s.sendWindow += delta; s.wakeWriters(); }
        }
        return;
      }
      default:
        // Unknown control frames are ignored, as the spec asks.
    }
  }

  private onData(id: number, flags: number, data: Buffer): void {
    const stream = this.streams.get(id);
    if (!stream || stream.remoteClosed) {
      if (!stream) this.sendReset(id, RST.invalidStream);
      return;
    }
    if (data.length > 0) {
      stream.pushData(data);
      // Handed on: give the peer its window back, for the stream and for the session (3.1).
      const delta = u32(data.length);
      this.enqueue(() => Buffer.concat([controlFrame(FRAME.windowUpdate, 0, Buffer.concat([u32(id), delta])), controlFrame(FRAME.windowUpdate, 0, Buffer.concat([u32(0), delta]))]));
    }
    if (flags & FLAG_FIN) {
      stream.closeRemote('end');
      if (stream.localClosed) this.forget(stream);
    }
  }

  /** How many of `want` bytes may be sent now on `stream`, waiting for window if the peer flow-controls. */
  async reserve(stream: SpdyStream, want: number): Promise<number> {
    if (!this.peerFlowControl) return this.closed || stream.localClosed ? 0 : want;
    for (;;) {
      if (this.closed || stream.localClosed) return 0;
      const allowed = Math.min(want, stream.sendWindow, this.sessionSendWindow);
      if (allowed > 0) {
        stream.sendWindow -= allowed;
        this.sessionSendWindow -= allowed;
        return allowed;
      }
      await (stream.sendWindow <= 0 ? stream.waitWindow() : new Promise<void>((r) => this.sessionWindowWaiters.push(r)));
    }
  }

  sendReply(stream: SpdyStream, headers: SpdyHeaders, fin: boolean): Promise<void> {
    const compressed = this.deflate.run(encodeHeaderBlock(headers));
    if (fin && stream.remoteClosed) this.forget(stream);
    return this.enqueue(async () => controlFrame(FRAME.synReply, fin ? FLAG_FIN : 0, Buffer.concat([u32(stream.id), await compressed])));
  }

  sendData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void> {
    if (fin && stream.remoteClosed) this.forget(stream);
    return this.enqueue(() => dataFrame(stream.id, fin ? FLAG_FIN : 0, data));
  }

  sendReset(id: number, status: number): void {
    const stream = this.streams.get(id);
    if (stream) this.forget(stream);
    void this.enqueue(() => controlFrame(FRAME.rstStream, 0, Buffer.concat([u32(id), u32(status)])));
  }

  /** GOAWAY with the last stream we accepted, then close. */
  goAway(status = 0): void {
    if (this.closed) return;
    void this.enqueue(() => controlFrame(FRAME.goaway, 0, Buffer.concat([u32(this.lastStreamId), u32(status)])));
    void this.out.then(() => this.close());
  }

  private forget(stream: SpdyStream): void {
    this.streams.delete(stream.id);
  }

  /** Frames leave in the order they were enqueued; resolves once the transport has taken this one (and drained). */
  private enqueue(build: () => Buffer | Promise<Buffer>): Promise<void> {
    const next = this.out.then(async () => {
      if (this.closed) return;
      const frame = await build();
      if (this.closed) return;
      if (!this.transport.write(frame)) await new Promise<void>((r) => this.drainWaiters.push(r));
    });
    this.out = next.catch(() => undefined);
    return next;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.closeRemote('reset');
    this.streams.clear();
    for (const w of [...this.drainWaiters.splice(0), ...this.sessionWindowWaiters.splice(0)]) w();
    this.inflate.close();
    this.deflate.close();
    this.transport.close();
    this.emit('close');
  }
}
