// The in-memory index every list and watch is served from, fed by one ordered KV watcher.
// It keeps a window of recent events so watches resume from a resourceVersion without gaps;
// below the window's floor a watch gets 410 Gone, as against a compacted etcd.
import type { KubeObject, WatchEvent } from '../objects/types.js';
import { errors } from '../objects/status.js';
import { AsyncQueue } from './queue.js';

export interface CachedObject {
  key: string;
  revision: number;
  /** Shared (deep-frozen under KITE_FREEZE_OBJECTS=1): callers clone before changing it. */
  readonly object: KubeObject;
}

/** What the cache is given for a PUT: the object, or its encoded form to decode on first use. */
export type ObjectSource = KubeObject | { encoded: Uint8Array; decode: (bytes: Uint8Array) => KubeObject };

/**
 * A cached object decoded on first use: a process that never reads a resource (a scheduler and
 * the Events it writes) never pays for decoding it.
 */
class Entry implements CachedObject {
  private value?: KubeObject;
  private source?: { encoded: Uint8Array; decode: (bytes: Uint8Array) => KubeObject };

  constructor(readonly key: string, readonly revision: number, from: ObjectSource) {
    if ('encoded' in from && from.encoded instanceof Uint8Array) this.source = from as { encoded: Uint8Array; decode: (bytes: Uint8Array) => KubeObject };
    else this.value = deepFreeze(from as KubeObject);
  }

  get object(): KubeObject {
    if (this.value === undefined) {
      const src = this.source!;
      this.source = undefined;
      this.value = deepFreeze(src.decode(src.encoded));
    }
    return this.value;
  }
}

export interface ChangeEvent {
  revision: number;
  resource: string;
  namespace: string | undefined;
  key: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeObject;
  /** The object before this change (for selector transitions); undefined for ADDED. */
  readonly previous: KubeObject | undefined;
}

/** A change whose objects are decoded only when a watcher of its resource looks at them. */
class Change implements ChangeEvent {
  private deleted?: KubeObject;
  constructor(
    readonly revision: number,
    readonly resource: string,
    readonly namespace: string | undefined,
    readonly key: string,
    readonly type: ChangeEvent['type'],
    private readonly current: CachedObject | undefined,
    private readonly before: CachedObject | undefined,
  ) {}

  get object(): KubeObject {
    if (this.current) return this.current.object;
    // DELETED: the last state, at the deletion's resourceVersion.
    if (!this.deleted) {
      const prev = this.before!.object;
      this.deleted = deepFreeze({ ...prev, metadata: { ...prev.metadata, resourceVersion: String(this.revision) } });
    }
    return this.deleted;
  }

  get previous(): KubeObject | undefined {
    return this.before?.object;
  }
}

export interface CacheWatchOptions {
  resource: string;
  namespace?: string;
  predicate?: (obj: KubeObject) => boolean;
  /** Replay events after this revision; undefined = synthetic ADDED for current objects. */
  fromRevision?: number;
  bookmarkIntervalMs?: number;
  /** A watcher more than this many events behind is closed with 410 (client relists). */
  maxBacklog?: number;
}

interface Watcher {
  opts: CacheWatchOptions;
  queue: AsyncQueue<WatchEvent>;
  timer?: NodeJS.Timeout;
}

/**
 * Cached objects are shared by every reader: callers must clone before changing one. With
 * KITE_FREEZE_OBJECTS=1 (the test runner sets it) they are deep-frozen, so a caller that changes
 * one fails its tests; otherwise the freeze (a third of a pod's decode) is skipped.
 */
let freezeObjects = process.env.KITE_FREEZE_OBJECTS === '1';

/** Turns the freeze of cached objects on or off (tests of the freeze itself). */
export function setObjectFreezing(on: boolean): void {
  freezeObjects = on;
}

export function deepFreeze<T>(value: T): T {
  if (!freezeObjects) return value;
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

export class ObjectCache {
  private readonly byResource = new Map<string, Map<string, CachedObject>>();
  private readonly sortedKeys = new Map<string, string[]>();
  private readonly window: ChangeEvent[] = [];
  private windowStart = 0;
  private readonly watchers = new Set<Watcher>();
  private revisionWaiters: { revision: number; resolve: () => void }[] = [];
  /** Every event with revision > floor is in the window. */
  private floor: number;
  revision: number;

  constructor(startRevision: number, private readonly windowCapacity = 100_000) {
    this.revision = startRevision;
    this.floor = startRevision;
  }

  get objectCount(): number {
    let n = 0;
    for (const m of this.byResource.values()) n += m.size;
    return n;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  get compactionFloor(): number {
    return this.floor;
  }

  lookup(resource: string, key: string): CachedObject | undefined {
    return this.byResource.get(resource)?.get(key);
  }

  /** Loads initial state (no events). */
  load(resource: string, key: string, revision: number, object: ObjectSource): void {
    this.table(resource).set(key, new Entry(key, revision, object));
    this.sortedKeys.delete(resource);
    if (revision > this.revision) this.revision = revision;
  }

  /** Marks the initial load complete at `revision` (the stream's last sequence). */
  initialized(revision: number): void {
    if (revision > this.revision) this.revision = revision;
    this.compactTo(revision);
    this.floor = revision;
    this.releaseWaiters();
  }

  apply(resource: string, namespace: string | undefined, key: string, revision: number, object: ObjectSource | undefined): void {
    if (revision <= this.revision && this.lookup(resource, key)?.revision === revision) return;
    const table = this.table(resource);
    const prev = table.get(key);
    let ev: ChangeEvent | undefined;
    if (object) {
      const entry = new Entry(key, revision, object);
      table.set(key, entry);
      if (!prev) this.sortedKeys.delete(resource);
      ev = new Change(revision, resource, namespace, key, prev ? 'MODIFIED' : 'ADDED', entry, prev);
    } else if (prev) {
      table.delete(key);
      this.sortedKeys.delete(resource);
      ev = new Change(revision, resource, namespace, key, 'DELETED', undefined, prev);
    }
    if (revision > this.revision) this.revision = revision;
    if (ev) {
      this.window.push(ev);
      if (this.window.length - this.windowStart > this.windowCapacity) this.compactTo(this.window[this.windowStart]!.revision);
      for (const w of this.watchers) this.deliver(w, ev);
    }
    this.releaseWaiters();
  }

  /** Raises the floor: watches from revisions below it get 410 Gone. */
  compactTo(revision: number): void {
    while (this.windowStart < this.window.length && this.window[this.windowStart]!.revision <= revision) this.windowStart++;
    if (this.windowStart > 1024 && this.windowStart * 2 > this.window.length) {
      this.window.splice(0, this.windowStart);
      this.windowStart = 0;
    }
    if (revision > this.floor) this.floor = Math.min(revision, this.revision);
  }

  /** Objects of a resource in key order (namespace, then name). */
  listKeys(resource: string): string[] {
    let keys = this.sortedKeys.get(resource);
    if (!keys) {
      keys = [...(this.byResource.get(resource)?.keys() ?? [])].sort();
      this.sortedKeys.set(resource, keys);
    }
    return keys;
  }

  waitFor(revision: number, timeoutMs: number): Promise<void> {
    if (this.revision >= revision) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.revisionWaiters = this.revisionWaiters.filter((w) => w.resolve !== done);
        reject(errors.timeout(`Too large resource version: ${revision}, current: ${this.revision}`));
      }, timeoutMs);
      const done = () => { clearTimeout(t); resolve(); };
      this.revisionWaiters.push({ revision, resolve: done });
    });
  }

  watch(opts: CacheWatchOptions): AsyncQueue<WatchEvent> {
    if (opts.fromRevision !== undefined && opts.fromRevision < this.floor) {
      throw errors.gone(`too old resource version: ${opts.fromRevision} (${this.floor})`);
    }
    const w: Watcher = { opts, queue: new AsyncQueue<WatchEvent>(() => this.unwatch(w)) };
    if (opts.fromRevision === undefined) {
      const table = this.byResource.get(opts.resource);
      for (const key of this.listKeys(opts.resource)) {
        const c = table?.get(key);
        if (c && this.matches(opts, c.object)) w.queue.push({ type: 'ADDED', object: c.object });
      }
    } else {
      for (let i = this.windowStart; i < this.window.length; i++) {
        const ev = this.window[i]!;
        if (ev.revision > opts.fromRevision) this.deliver(w, ev);
      }
    }
    this.watchers.add(w);
    if (opts.bookmarkIntervalMs) {
      w.timer = setInterval(() => w.queue.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(this.revision) } } }), opts.bookmarkIntervalMs);
      w.timer.unref();
    }
    return w.queue;
  }

  closeAllWatchers(): void {
    for (const w of [...this.watchers]) w.queue.close();
  }

  private unwatch(w: Watcher): void {
    if (w.timer) clearInterval(w.timer);
    this.watchers.delete(w);
  }

  private matches(opts: CacheWatchOptions, obj: KubeObject | undefined): boolean {
    if (!obj) return false;
    if (opts.namespace !== undefined && obj.metadata.namespace !== opts.namespace) return false;
    return !opts.predicate || opts.predicate(obj);
  }

  private deliver(w: Watcher, ev: ChangeEvent): void {
    if (ev.resource !== w.opts.resource) return;
    if (w.opts.namespace !== undefined && ev.namespace !== w.opts.namespace) return;
    const now = ev.type === 'DELETED' ? false : this.matches(w.opts, ev.object);
    const before = ev.type === 'ADDED' ? false : this.matches(w.opts, ev.previous);
    let type: WatchEvent['type'] | undefined;
    if (ev.type === 'DELETED') type = before ? 'DELETED' : undefined;
    else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    else if (before) type = 'DELETED';
    if (!type) return;
    w.queue.push({ type, object: ev.object });
    if (w.opts.maxBacklog && w.queue.length > w.opts.maxBacklog) {
      w.queue.fail(errors.gone(`watch closed: client fell more than ${w.opts.maxBacklog} events behind`));
    }
  }

  private releaseWaiters(): void {
    if (this.revisionWaiters.length === 0) return;
    const ready = this.revisionWaiters.filter((w) => w.revision <= this.revision);
    if (ready.length === 0) return;
    this.revisionWaiters = this.revisionWaiters.filter((w) => w.revision > this.revision);
    for (const w of ready) w.resolve();
  }

  private table(resource: string): Map<string, CachedObject> {
    let t = this.byResource.get(resource);
    if (!t) {
      t = new Map();
      this.byResource.set(resource, t);
    }
    return t;
  }
}
