// The event bus contract: NATS subjects under `kite.`, publish/subscribe, request/reply and
// bidirectional streams (logs, exec, port-forward between the API server and nodes).

export type BusHeaders = Record<string, string>;

export interface BusMessage {
  subject: string;
  data: Uint8Array;
  headers: BusHeaders;
  /** Decodes data as UTF-8 JSON. */
  json<T = unknown>(): T;
  text(): string;
}

export type BusPayload = Uint8Array | string | object | undefined;

export interface BusSubscription {
  unsubscribe(): void;
}

export interface RequestOptions {
  timeoutMs?: number;
  headers?: BusHeaders;
}

/** One side of a bidirectional stream. Chunks arrive in order; end() closes our sending side. */
export interface BusStream extends AsyncIterable<Uint8Array> {
  send(chunk: Uint8Array | string): void;
  /** Close our side normally; the peer's iteration ends. */
  end(): void;
  /** Close with an error; the peer's iteration throws Error(message). */
  fail(message: string): void;
  /** Resolves when the peer has ended its side (or failed: then rejects). */
  readonly closed: Promise<void>;
}

export interface Bus {
  publish(subject: string, payload?: BusPayload, headers?: BusHeaders): void;
  subscribe(subject: string, handler: (msg: BusMessage) => void, opts?: { queue?: string }): BusSubscription;
  /** Request/reply. A responder that fails makes this reject with its message (prefixed by the subject). */
  request(subject: string, payload?: BusPayload, opts?: RequestOptions): Promise<BusMessage>;
  /** Answer requests on a subject; a thrown error is sent back to the requester. */
  serve(subject: string, handler: (req: BusMessage) => BusPayload | Promise<BusPayload>, opts?: { queue?: string }): BusSubscription;
  /** Open a stream to a responder registered with serveStreams; `init` describes what is asked. */
  openStream(subject: string, init?: BusPayload, opts?: { timeoutMs?: number }): Promise<BusStream>;
  serveStreams(subject: string, handler: (stream: BusStream, init: BusMessage) => void | Promise<void>, opts?: { queue?: string }): BusSubscription;
  /** Wait until the server has processed everything published so far. */
  flush(): Promise<void>;
}

/** Subject names used across Kite, in one place. */
export const subjects = {
  kernelPlugins: 'kite.kernel.plugins',
  node: (nodeName: string, call: string) => `kite.node.${nodeName}.${call}`,
  example: (call: string) => `kite.example.${call}`,
};
