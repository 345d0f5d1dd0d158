// An unbounded async queue: producers push synchronously, one consumer iterates.
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private head = 0;
  private waiter?: () => void;
  private closed = false;
  private error?: Error;

  constructor(private readonly onClose?: () => void) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    this.wake();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.();
    this.wake();
  }

  /** Ends iteration with an error after the items already queued... dropped: errors are urgent. */
  fail(err: Error): void {
    if (this.closed) return;
    this.error = err;
    this.items = [];
    this.head = 0;
    this.close();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        if (this.head < this.items.length) {
          const item = this.items[this.head++] as T;
          if (this.head > 4096 && this.head * 2 > this.items.length) {
            this.items = this.items.slice(this.head);
            this.head = 0;
          }
          yield item;
          continue;
        }
        if (this.closed) {
          if (this.error) throw this.error;
          return;
        }
        await new Promise<void>((r) => { this.waiter = r; });
      }
    } finally {
      this.close();
    }
  }
}
