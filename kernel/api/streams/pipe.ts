// A byte pipe with flow control over a bus stream (port-forward between the API server and a node):
// the bus itself buffers without limit, so each side may have at most `window` bytes in flight
// that the other side has not yet handed to its sink (kubectl's connection, or the pod's socket).
// Frames: [0, ...data], [1, u32 bytes consumed] (credit back), [2] (no more data: half-close).
import type { BusStream } from '../../bus/types.js';

const DATA = 0;
const ACK = 1;
const FIN = 2;
export const PORT_FORWARD_WINDOW = 1024 * 1024;

export class PortForwardPipe {
  private inFlight = 0;
  private creditWaiters: Array<() => void> = [];
  private finished = false;

  constructor(private readonly stream: BusStream, private readonly window = PORT_FORWARD_WINDOW) {}

  /** True when the peer may take more now; otherwise wait for `whenWritable` before sending more. */
  send(data: Uint8Array): boolean {
    if (this.finished) return false;
    const frame = new Uint8Array(data.length + 1);
    frame[0] = DATA;
    frame.set(data, 1);
    this.stream.send(frame);
    this.inFlight += data.length;
    return this.inFlight < this.window;
  }

  whenWritable(): Promise<void> {
    if (this.inFlight < this.window || this.finished) return Promise.resolve();
    return new Promise((resolve) => this.creditWaiters.push(resolve));
  }

  /** Half-close: the peer's sink gets end-of-file after what was sent. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stream.send(new Uint8Array([FIN]));
    for (const w of this.creditWaiters.splice(0)) w();
  }

  /**
   * Reads the peer's frames until its side ends: data goes to `sink` (credit is returned once the
   * promise it returns resolves), a half-close calls `onFin`. Rejects with the peer's failure.
   */
  async receive(sink: (data: Uint8Array) => void | Promise<void>, onFin: () => void): Promise<void> {
    for await (const chunk of this.stream) {
      if (chunk.length === 0) continue;
      if (chunk[0] === DATA) {
        const data = chunk.subarray(1);
        await sink(data);
        const ack = new Uint8Array(5);
        ack[0] = ACK;
        new DataView(ack.buffer).setUint32(1, data.length);
        this.stream.send(ack);
      } else if (chunk[0] === ACK && chunk.length >= 5) {
        this.inFlight -= new DataView(chunk.buffer, chunk.byteOffset + 1, 4).getUint32(0);
        if (this.inFlight < this.window) for (const w of this.creditWaiters.splice(0)) w();
      } else if (chunk[0] === FIN) {
        onFin();
      }
    }
  }

  /** Both directions are done. */
  end(): void {
    this.finished = true;
    for (const w of this.creditWaiters.splice(0)) w();
    this.stream.end();
  }

  fail(message: string): void {
    this.finished = true;
    for (const w of this.creditWaiters.splice(0)) w();
    this.stream.fail(message);
  }
}
