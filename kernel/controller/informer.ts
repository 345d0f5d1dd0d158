// An informer: list + watch of one resource through the ObjectStore into an indexed local cache,
// with event handlers. It relists when the watch answers 410 Gone and resumes when a watch ends.
import type { Logger } from '../log.js';
import { isStatusError } from '../objects/status.js';
import type { KubeObject, ResourceKey } from '../objects/types.js';
import type { ObjectStore, Watch } from '../store/types.js';

export interface InformerHandlers<T extends KubeObject> {
  add?(obj: T): void;
  update?(old: T, obj: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  namespace?: string;
  predicate?: (obj: T) => boolean;
  logger?: Logger;
  /** Wait before relisting after a failed list/watch. */
  retryDelayMs?: number;
}

/** Cache key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function objectKeyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : (obj.metadata.name ?? '');
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

function revisionOf(obj: KubeObject): number {
  return Number(obj.metadata.resourceVersion ?? 0);
}

type IndexFn<T> = (obj: T) => string[];

export class Informer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexFns = new Map<string, IndexFn<T>>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private readonly handlers: InformerHandlers<T>[] = [];
  /** Keys whose cached object came from assume(): their watch event still notifies handlers. */
  private readonly assumed = new Set<string>();
  private watch?: Watch<T>;
  private stopped = true;
  private resourceVersion = '';
  private loop?: Promise<void>;
  private synced!: Promise<void>;
  /** Lists done (the first one and every relist after 410 Gone or a failure). */
  lists = 0;

  constructor(
    private readonly store: ObjectStore,
    readonly resource: ResourceKey,
    private readonly options: InformerOptions<T> = {},
  ) {
    this.addIndex('namespace', (o) => [o.metadata.namespace ?? '']);
  }

  addIndex(name: string, fn: IndexFn<T>): void {
    this.indexFns.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indexes.set(name, index);
    for (const [key, obj] of this.items) this.indexObject(name, fn, index, key, obj);
  }

  addHandler(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }

  list(namespace?: string): T[] {
    return namespace === undefined ? [...this.items.values()] : this.byIndex('namespace', namespace);
  }

  byIndex(index: string, value: string): T[] {
    const keys = this.indexes.get(index)?.get(value);
    if (!keys) return [];
    return [...keys].map((k) => this.items.get(k)!).filter(Boolean);
  }

  /** Records an object this process just wrote, so its next decisions see it before the watch does. */
  assume(obj: T): void {
    const key = objectKeyOf(obj);
    const old = this.items.get(key);
    if (old && revisionOf(old) >= revisionOf(obj)) return;
    this.put(key, obj, old, false);
    this.assumed.add(key);
  }

  /** Lists, then watches; resolves once the first list is in the cache. */
  /** Starts from an empty cache, so every object is announced to the handlers again. */
  async start(): Promise<void> {
    this.stopped = false;
    this.items.clear();
    this.assumed.clear();
    for (const index of this.indexes.values()) index.clear();
    this.resourceVersion = '';
    let markSynced!: () => void;
    this.synced = new Promise((res) => (markSynced = res));
    this.loop = this.run(markSynced);
    await this.synced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    await this.loop;
    this.loop = undefined;
  }

  private async run(markSynced: () => void): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          markSynced();
          needList = false;
        }
        const watch = await this.store.watch<T>(this.resource, {
          namespace: this.options.namespace,
          predicate: this.options.predicate,
          resourceVersion: this.resourceVersion,
          allowBookmarks: true,
        });
        this.watch = watch;
        if (this.stopped) watch.stop();
        for await (const ev of watch) {
          if (ev.type === 'BOOKMARK') {
            this.resourceVersion = ev.object.metadata.resourceVersion ?? this.resourceVersion;
            continue;
          }
          if (ev.type === 'ERROR') {
            needList = true;
            break;
          }
          if (ev.object.metadata.resourceVersion) this.resourceVersion = ev.object.metadata.resourceVersion;
          const key = objectKeyOf(ev.object);
          if (ev.type === 'DELETED') this.remove(key, ev.object);
          else this.put(key, ev.object, this.items.get(key), true);
        }
        watch.stop();
      } catch (e) {
        if (this.stopped) break;
        if (isStatusError(e, 'Expired')) needList = true;
        else {
          this.options.logger?.warn('informer: list/watch failed, retrying', { resource: this.resource.resource, error: e as Error });
          needList = true;
          await new Promise((r) => setTimeout(r, this.options.retryDelayMs ?? 500));
        }
      }
    }
    markSynced(); // stopped before the first list: do not leave start() waiting
  }

  private async relist(): Promise<void> {
    const result = await this.store.list<T>(this.resource, { namespace: this.options.namespace, predicate: this.options.predicate });
    this.lists++;
    this.resourceVersion = result.metadata.resourceVersion;
    const seen = new Set<string>();
    for (const obj of result.items) {
      const key = objectKeyOf(obj);
      seen.add(key);
      this.put(key, obj, this.items.get(key), true);
    }
    for (const [key, obj] of [...this.items]) if (!seen.has(key)) this.remove(key, obj);
  }

  private put(key: string, obj: T, old: T | undefined, notify: boolean): void {
    if (old && notify && old.metadata.uid === obj.metadata.uid) {
      const cached = revisionOf(old);
      const incoming = revisionOf(obj);
      if (incoming < cached) return; // older than a write this process already assumed
      if (incoming === cached && !this.assumed.has(key)) return; // unchanged after a relist
    }
    if (notify) this.assumed.delete(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexFns) this.indexObject(name, fn, this.indexes.get(name)!, key, obj);
    if (!notify && old) return;
    for (const h of this.handlers) {
      try {
        if (old) h.update?.(old, obj);
        else h.add?.(obj);
      } catch (e) {
        this.options.logger?.error('informer: handler failed', { error: e as Error });
      }
    }
  }

  private remove(key: string, obj: T): void {
    const old = this.items.get(key);
    if (!old) return;
    this.unindex(key, old);
    this.items.delete(key);
    this.assumed.delete(key);
    for (const h of this.handlers) {
      try {
        h.delete?.(obj.metadata.uid ? obj : old);
      } catch (e) {
        this.options.logger?.error('informer: handler failed', { error: e as Error });
      }
    }
  }

  private indexObject(_name: string, fn: IndexFn<T>, index: Map<string, Set<string>>, key: string, obj: T): void {
    for (const value of fn(obj)) {
      let set = index.get(value);
      if (!set) index.set(value, (set = new Set()));
      set.add(key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexFns) {
      const index = this.indexes.get(name)!;
      for (const value of fn(obj)) {
        const set = index.get(value);
        set?.delete(key);
        if (set?.size === 0) index.delete(value);
      }
    }
  }
}
