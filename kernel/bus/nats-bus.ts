// Bus over a NATS connection. Streams: the opener sends a request whose reply subject is its own
// inbox; the server answers with a "ready" message naming its inbox; after that each side
// publishes chunks to the other's inbox with a sequence header, and an end or error marker.
import { createInbox, headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';
import type { Bus, BusHeaders, BusMessage, BusPayload, BusStream, BusSubscription, RequestOptions } from './types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

const H_ERROR = 'Kite-Error';
const H_STREAM = 'Kite-Stream'; // ready | data | end | error
const H_PEER = 'Kite-Stream-Peer';

export function encodePayload(p: BusPayload): Uint8Array {
  if (p === undefined) return new Uint8Array(0);
  if (p instanceof Uint8Array) return p;
  if (typeof p === 'string') return enc.encode(p);
  return enc.encode(JSON.stringify(p));
}

function toHeaders(h?: BusHeaders): MsgHdrs | undefined {
  if (!h || Object.keys(h).length === 0) return undefined;
  const out = natsHeaders();
  for (const [k, v] of Object.entries(h)) out.set(k, v);
  return out;
}

function fromHeaders(h?: MsgHdrs): BusHeaders {
  const out: BusHeaders = {};
  if (!h) return out;
  for (const k of h.keys()) out[k] = h.get(k);
  return out;
}

function wrap(m: Msg): BusMessage {
  const headers = fromHeaders(m.headers);
  return {
    subject: m.subject,
    data: m.data,
    headers,
    json: <T>() => JSON.parse(dec.decode(m.data)) as T,
    text: () => dec.decode(m.data),
  };
}

export class NatsBus implements Bus {
  constructor(private readonly nc: NatsConnection) {}

  publish(subject: string, payload?: BusPayload, headers?: BusHeaders): void {
    this.nc.publish(subject, encodePayload(payload), { headers: toHeaders(headers) });
  }

  subscribe(subject: string, handler: (msg: BusMessage) => void, opts: { queue?: string } = {}): BusSubscription {
    const sub = this.nc.subscribe(subject, { queue: opts.queue, callback: (err, m) => { if (!err) handler(wrap(m)); } });
    return { unsubscribe: () => sub.unsubscribe() };
  }

  async request(subject: string, payload?: BusPayload, opts: RequestOptions = {}): Promise<BusMessage> {
    let m: Msg;
    try {
      m = await this.nc.request(subject, encodePayload(payload), { timeout: opts.timeoutMs ?? 5000, headers: toHeaders(opts.headers) });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === '503') throw new Error(`bus: no responder for ${subject}`);
      if (code === 'TIMEOUT') throw new Error(`bus: request to ${subject} timed out`);
      throw err;
    }
    const reply = wrap(m);
    if (reply.headers[H_ERROR] !== undefined) throw new Error(`${subject}: ${reply.text()}`);
    return reply;
  }

  serve(subject: string, handler: (req: BusMessage) => BusPayload | Promise<BusPayload>, opts: { queue?: string } = {}): BusSubscription {
    const sub = this.nc.subscribe(subject, {
      queue: opts.queue,
      callback: (err, m) => {
        if (err || !m.reply) return;
        Promise.resolve()
          .then(() => handler(wrap(m)))
          .then(
            (out) => m.respond(encodePayload(out)),
            (e: unknown) => m.respond(enc.encode(e instanceof Error ? e.message : String(e)), { headers: toHeaders({ [H_ERROR]: '1' }) }),
          );
      },
    });
    return { unsubscribe: () => sub.unsubscribe() };
  }

  async openStream(subject: string, init?: BusPayload, opts: { timeoutMs?: number } = {}): Promise<BusStream> {
    const inbox = createInbox();
    const stream = new NatsStream(this.nc, inbox);
    const ready = stream.waitReady(opts.timeoutMs ?? 5000, subject);
    this.nc.publish(subject, encodePayload(init), { reply: inbox });
    await ready;
    return stream;
  }

  serveStreams(subject: string, handler: (stream: BusStream, init: BusMessage) => void | Promise<void>, opts: { queue?: string } = {}): BusSubscription {
    const sub = this.nc.subscribe(subject, {
      queue: opts.queue,
      callback: (err, m) => {
        if (err || !m.reply) return;
        const inbox = createInbox();
        const stream = new NatsStream(this.nc, inbox);
        stream.setPeer(m.reply);
        this.nc.publish(m.reply, new Uint8Array(0), { headers: toHeaders({ [H_STREAM]: 'ready', [H_PEER]: inbox }) });
        Promise.resolve()
          .then(() => handler(stream, wrap(m)))
          .catch((e: unknown) => stream.fail(e instanceof Error ? e.message : String(e)));
      },
    });
    return { unsubscribe: () => sub.unsubscribe() };
  }

  async flush(): Promise<void> {
    await this.nc.flush();
  }
}

class NatsStream implements BusStream {
  private peer?: string;
  private seq = 0;
  private expected = 0;
  private readonly pendingOutOfOrder = new Map<number, Msg>();
  private readonly queue: Uint8Array[] = [];
  private waiter?: () => void;
  private done = false;
  private error?: Error;
  private sentEnd = false;
  private readonly sub: Subscription;
  private readyResolve?: () => void;
  private readyReject?: (e: Error) => void;
  private resolveClosed!: () => void;
  private rejectClosed!: (e: Error) => void;
  readonly closed: Promise<void>;

  constructor(private readonly nc: NatsConnection, inbox: string) {
    this.closed = new Promise((res, rej) => { this.resolveClosed = res; this.rejectClosed = rej; });
    this.closed.catch(() => undefined);
    this.sub = nc.subscribe(inbox, { callback: (err, m) => { if (!err) this.onMessage(m); } });
  }

  setPeer(peer: string): void {
    this.peer = peer;
  }

  waitReady(timeoutMs: number, subject: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.sub.unsubscribe(); reject(new Error(`bus: stream ${subject} did not answer within ${timeoutMs} ms`)); }, timeoutMs);
      this.readyResolve = () => { clearTimeout(t); resolve(); };
      this.readyReject = (e) => { clearTimeout(t); this.sub.unsubscribe(); reject(e); };
    });
  }

  private onMessage(m: Msg): void {
    const kind = m.headers?.get(H_STREAM);
    if (kind === 'ready') {
      this.peer = m.headers?.get(H_PEER);
      this.readyResolve?.();
      return;
    }
    if (!kind && m.headers?.get('Status') === '503') {
      this.readyReject?.(new Error(`bus: no responder for stream ${m.subject}`));
      return;
    }
    const seq = Number(m.headers?.get('Kite-Seq') ?? '0');
    if (seq !== this.expected) {
      this.pendingOutOfOrder.set(seq, m);
      return;
    }
    this.apply(m, kind);
    for (let next = this.pendingOutOfOrder.get(this.expected); next; next = this.pendingOutOfOrder.get(this.expected)) {
      this.pendingOutOfOrder.delete(this.expected);
      this.apply(next, next.headers?.get(H_STREAM));
    }
  }

  private apply(m: Msg, kind: string | undefined): void {
    this.expected++;
    if (kind === 'data') this.queue.push(m.data);
    else if (kind === 'end') this.finish();
    else if (kind === 'error') this.finish(new Error(dec.decode(m.data)));
    this.waiter?.();
  }

  private finish(err?: Error): void {
    if (this.done) return;
    this.done = true;
    this.error = err;
    if (err) this.rejectClosed(err);
    else this.resolveClosed();
    if (this.sentEnd) this.sub.unsubscribe();
  }

  private sendFrame(kind: string, data: Uint8Array): void {
    if (!this.peer || this.sentEnd) return;
    this.nc.publish(this.peer, data, { headers: toHeaders({ [H_STREAM]: kind, 'Kite-Seq': String(this.seq++) }) });
  }

  send(chunk: Uint8Array | string): void {
    this.sendFrame('data', typeof chunk === 'string' ? enc.encode(chunk) : chunk);
  }

  end(): void {
    this.sendFrame('end', new Uint8Array(0));
    this.sentEnd = true;
    if (this.done) this.sub.unsubscribe();
  }

  fail(message: string): void {
    this.sendFrame('error', enc.encode(message));
    this.sentEnd = true;
    if (this.done) this.sub.unsubscribe();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const next = this.queue.shift();
      if (next) { yield next; continue; }
      if (this.done) {
        if (this.error) throw this.error;
        return;
      }
      await new Promise<void>((r) => { this.waiter = r; });
      this.waiter = undefined;
    }
  }
}
