// Compare-and-set writes to the KV bucket's stream, without nats.js's per-request costs.
// nats.js builds a request object, a timer and (on every successful reply, to cancel it) a
// NatsError with a captured stack per publish; at thousands of writes a second that was the
// largest single cost of a store write. This writer publishes with a reply subject on one shared
// inbox subscription, matches acks by token, and expires stale requests with one sweeping timer.
// Semantics are KV's: the `Nats-Expected-Last-Subject-Sequence` header makes the put a CAS.
// The writes of a turn of the event loop leave together on setImmediate, in one socket write: a
// write to the loopback socket wakes nats-server, which on two busy cores takes the CPU from the
// writer (tens of µs, more than encoding a pod). A lone write waits only for the end of the
// current turn (the check phase), microseconds on an idle loop.
import { createInbox, headers, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';

const EXPECTED_LAST_SUBJECT_SEQUENCE = 'Nats-Expected-Last-Subject-Sequence';
/** JetStream's API error code for a failed expected-sequence check. */
const WRONG_LAST_SEQUENCE = 10071;
const utf8 = new TextDecoder();

interface Outgoing {
  subject: string;
  data: Uint8Array;
  reply: string;
  headers?: MsgHdrs;
  token: string;
}

interface Pending {
  resolve(seq: number): void;
  reject(e: Error): void;
  deadline: number;
}

/** A JetStream publish refused by the server (the KV layer's `wrong last sequence` among them). */
export class KvWriteError extends Error {
  constructor(message: string, readonly errCode: number, readonly code: number) {
    super(message);
    this.name = 'KvWriteError';
  }
}

export class KvWriter {
  private readonly inbox = createInbox();
  private readonly sub: Subscription;
  private readonly pending = new Map<string, Pending>();
  private readonly sweeper: NodeJS.Timeout;
  private next = 0;
  private closed = false;
  private outgoing: Outgoing[] = [];
  /** A flush is scheduled for the end of this turn of the event loop. */
  private inTurn = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly bucket: string,
    private readonly timeoutMs = 5_000,
  ) {
    this.sub = nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => (err ? this.failAll(err) : this.onReply(msg.subject, msg.data, msg.headers?.code ?? 0, msg.headers?.description ?? '')) });
    this.sweeper = setInterval(() => this.expire(), Math.min(1_000, timeoutMs));
    this.sweeper.unref();
  }

  /** Writes `key`; with `previousSeq` only if that is the key's last revision (0 = key absent). Resolves to the new revision. */
  put(key: string, data: Uint8Array, previousSeq?: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error('store closed'));
    const token = (this.next++).toString(36);
    const h = previousSeq === undefined ? undefined : headers();
    h?.set(EXPECTED_LAST_SUBJECT_SEQUENCE, String(previousSeq));
    return new Promise<number>((resolve, reject) => {
      this.pending.set(token, { resolve, reject, deadline: Date.now() + this.timeoutMs });
      const m = { subject: `$KV.${this.bucket}.${key}`, data, reply: `${this.inbox}.${token}`, headers: h, token };
      this.outgoing.push(m);
      if (!this.inTurn) {
        this.inTurn = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Publishes everything queued in one go: nats.js sends what one tick publishes in one write. */
  private readonly flush = (): void => {
    const batch = this.outgoing;
    this.outgoing = [];
    this.inTurn = false;
    for (const m of batch) this.publish(m);
  };

  private publish(m: Outgoing): void {
    try {
      this.nc.publish(m.subject, m.data, { reply: m.reply, headers: m.headers });
    } catch (e) {
      const p = this.pending.get(m.token);
      this.pending.delete(m.token);
      p?.reject(e as Error);
    }
  }

  close(): void {
    this.closed = true;
    this.outgoing = [];
    clearInterval(this.sweeper);
    this.sub.unsubscribe();
    this.failAll(new Error('store closed'));
  }

  private onReply(subject: string, data: Uint8Array, statusCode: number, statusText: string): void {
    const token = subject.slice(this.inbox.length + 1);
    const p = this.pending.get(token);
    if (!p) return;
    this.pending.delete(token);
    // A status-only reply: 503 when no stream listens (JetStream down or bucket missing).
    if (statusCode >= 300) return p.reject(new KvWriteError(statusCode === 503 ? 'no responders: JetStream is not available' : statusText || `status ${statusCode}`, 0, statusCode));
    let ack: { seq?: number; error?: { code: number; err_code: number; description: string } };
    try {
      ack = JSON.parse(utf8.decode(data));
    } catch (e) {
      return p.reject(new Error(`undecodable JetStream ack: ${(e as Error).message}`));
    }
    if (ack.error) return p.reject(new KvWriteError(ack.error.description, ack.error.err_code, ack.error.code));
    if (typeof ack.seq !== 'number') return p.reject(new Error('JetStream ack without a sequence'));
    p.resolve(ack.seq);
  }

  private expire(): void {
    const now = Date.now();
    for (const [token, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(token);
        p.reject(new KvWriteError('TIMEOUT: no acknowledgement from JetStream', 0, 408));
      }
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

export function isWrongLastSequence(e: unknown): boolean {
  return (e instanceof KvWriteError && e.errCode === WRONG_LAST_SEQUENCE) || (e instanceof Error && /wrong last sequence/.test(e.message));
}
