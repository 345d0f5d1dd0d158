// ObjectStore on a JetStream KV bucket with Kubernetes semantics (see README.md).
import type { HotHistogramChild } from '../metrics/hot.js';
import { cloneJson } from '../objects/clone.js';
import { deepEqual } from '../objects/validation/util.js';
import { randomUUID } from 'node:crypto';
import type { KV, KvEntry, NatsConnection } from 'nats';
import type { Admission } from '../objects/admission.js';
import { admitAll } from '../objects/admission.js';
import { errors, isStatusError, StatusError } from '../objects/status.js';
import { resourceKeyString, type KubeObject, type ResourceKey, type WatchEvent } from '../objects/types.js';
import type { Logger } from '../log.js';
import { ObjectCache } from './cache.js';
import { isWrongLastSequence, KvWriter } from './kv-writer.js';
import { objectKey, parseKey, resourceToken } from './keys.js';
import type { StoreMetrics } from './metrics.js';
import type { DeleteOptions, DeleteResult, ListOptions, ListResult, ObjectStore, Watch, WatchOptions, WriteOptions, GuaranteedUpdateOptions } from './types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const NAMESPACES: ResourceKey = { group: '', resource: 'namespaces', namespaced: false };

export interface KvObjectStoreOptions {
  /** The KV bucket's name (writes publish to `$KV.<bucket>.<key>`). */
  bucket: string;
  admission: Admission;
  logger?: Logger;
  metrics?: StoreMetrics;
  bookmarkIntervalMs: number;
  /** How long a read waits for the cache to reach a revision before failing with 504. */
  consistencyTimeoutMs: number;
  maxWatchBacklog: number;
  /** The one resource a filtered store caches (openObjectStore's cacheOnly). */
  cacheOnly?: ResourceKey;
}

let stampSecond = -1;
let stamp = '';
/** RFC 3339 to the second (what metadata timestamps hold); formatted once per second. */
export function nowTimestamp(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== stampSecond) {
    stampSecond = second;
    stamp = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return stamp;
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 5; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

const isWrongSequence = isWrongLastSequence;

function clone<T>(v: T): T {
  return cloneJson(v);
}

/** What is stored: the object without resourceVersion (the KV revision is the resourceVersion). */
function encodeObject(obj: KubeObject): Uint8Array {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return enc.encode(JSON.stringify({ ...obj, metadata }));
}

function decodeEntry(e: Pick<KvEntry, 'value' | 'revision'>): KubeObject {
  const obj = JSON.parse(dec.decode(e.value)) as KubeObject;
  obj.metadata.resourceVersion = String(e.revision);
  return obj;
}

function specChanged(a: KubeObject, b: KubeObject): boolean {
  return !deepEqual(a.spec ?? null, b.spec ?? null);
}

export class KvObjectStore implements ObjectStore {
  /** Highest revision this client wrote: reads wait for the cache to reach it. */
  private lastWrite = 0;
  private readonly writer: KvWriter;

  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    readonly cache: ObjectCache,
    private readonly opts: KvObjectStoreOptions,
    private readonly onClose: () => Promise<void>,
  ) {
    this.writer = new KvWriter(nc, opts.bucket);
  }

  /** Creates a key: a CAS on "absent", or over a delete tombstone (what KV's create does). */
  private async createKey(key: string, data: Uint8Array): Promise<number> {
    try {
      return await this.writer.put(key, data, 0);
    } catch (e) {
      if (!isWrongSequence(e)) throw e;
      const last = await this.kv.get(key);
      if (last && (last.operation === 'DEL' || last.operation === 'PURGE')) return this.writer.put(key, data, last.revision);
      throw e;
    }
  }

  currentResourceVersion(): string {
    return String(this.cache.revision);
  }

  async create<T extends KubeObject>(res: ResourceKey, input: T, wopts: WriteOptions = {}): Promise<T> {
    return this.timed('create', res, async () => {
      const obj = clone(input);
      const meta = (obj.metadata ??= {});
      if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
      const name = meta.name;
      if (!name) {
        throw errors.invalid(obj.kind ?? res.resource, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'name or generateName is required' }], res.group);
      }
      if (res.namespaced) {
        if (!meta.namespace) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
        if (res.resource !== 'namespaces') await this.checkNamespaceOpen(meta.namespace);
      } else delete meta.namespace;
      meta.uid = randomUUID();
      meta.creationTimestamp = nowTimestamp();
      meta.generation = 1;
      delete meta.resourceVersion;
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
      const admitted = (await this.opts.admission.admit(res, obj, undefined, 'CREATE')) as T;
      if (wopts.dryRun) return admitted;
      const key = objectKey(res, meta.namespace, name);
      let rev: number;
      try {
        rev = await this.createKey(key, encodeObject(admitted));
      } catch (e) {
        if (isWrongSequence(e)) throw errors.alreadyExists(resourceKeyString(res), name);
        throw e;
      }
      this.noteWrite(rev, admitted);
      return admitted;
    });
  }

  async get<T extends KubeObject>(res: ResourceKey, namespace: string | undefined, name: string): Promise<T> {
    return this.timed('get', res, async () => clone((await this.read(res, namespace, name)).object) as T);
  }

  async update<T extends KubeObject>(res: ResourceKey, input: T, wopts: WriteOptions = {}): Promise<T> {
    return this.timed('update', res, () => this.doUpdate(res, clone(input), wopts));
  }

  async guaranteedUpdate<T extends KubeObject>(
    res: ResourceKey,
    namespace: string | undefined,
    name: string,
    mutate: (current: T) => T | undefined | Promise<T | undefined>,
    wopts: GuaranteedUpdateOptions = {},
  ): Promise<T> {
    return this.timed('update', res, async () => {
      for (let attempt = 0; ; attempt++) {
        // First try from the cache (one round trip when it is fresh); a conflict means it was
        // stale, so later attempts read straight from the bucket.
        const cached = attempt === 0 ? this.cache.lookup(resourceToken(res), objectKey(res, namespace, name)) : undefined;
        const current = (cached?.object ?? (await this.read(res, namespace, name)).object) as T;
        let next = await mutate(wopts.mutatorCopies ? current : clone(current));
        if (next === undefined) return clone(current);
        // The write below sets metadata fields: on a copy of the top level and metadata only.
        if (wopts.mutatorCopies) next = { ...next, metadata: { ...next.metadata } };
        next.metadata.resourceVersion = current.metadata.resourceVersion;
        try {
          return await this.doUpdate(res, next, wopts);
        } catch (e) {
          if (!isStatusError(e, 'Conflict') || attempt >= 20) throw e;
        }
      }
    });
  }

  async delete<T extends KubeObject>(res: ResourceKey, namespace: string | undefined, name: string, dopts: DeleteOptions = {}): Promise<DeleteResult<T>> {
    return this.timed('delete', res, async () => {
      const qualified = resourceKeyString(res);
      for (;;) {
        const { object: current, revision } = await this.read(res, namespace, name);
        const pre = dopts.preconditions;
        if (pre?.uid && pre.uid !== current.metadata.uid) {
          throw errors.conflict(qualified, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
        }
        if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
          throw errors.conflict(qualified, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
        }
        // A namespace's spec.finalizers (`kubernetes`) hold it Terminating until the namespace
        // controller has emptied it, as upstream.
        const specFinalizers = res.resource === 'namespaces' && !res.group ? ((current.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []) : [];
        const finalizers = [...new Set([...(current.metadata.finalizers ?? []), ...specFinalizers, ...(dopts.addFinalizers ?? [])])];
        if (finalizers.length > 0) {
          if (current.metadata.deletionTimestamp && finalizers.length === (current.metadata.finalizers ?? []).length) {
            return { object: clone(current) as T, deleted: false };
          }
          const next = clone(current);
          next.metadata.finalizers = finalizers;
          next.metadata.deletionTimestamp ??= nowTimestamp();
          // Upstream: a pod deleted without a grace period gets its spec's terminationGracePeriodSeconds.
          const podGrace = res.group === '' && res.resource === 'pods' ? ((next as { spec?: { terminationGracePeriodSeconds?: number } }).spec?.terminationGracePeriodSeconds ?? 30) : 0;
          next.metadata.deletionGracePeriodSeconds ??= dopts.gracePeriodSeconds ?? podGrace;
          if (dopts.dryRun) return { object: next as T, deleted: false };
          try {
            const rev = await this.writer.put(objectKey(res, namespace, name), encodeObject(next), revision);
            this.noteWrite(rev, next);
            return { object: next as T, deleted: false };
          } catch (e) {
            if (isWrongSequence(e)) continue;
            throw e;
          }
        }
        if (dopts.dryRun) return { object: clone(current) as T, deleted: true };
        try {
          await this.kv.delete(objectKey(res, namespace, name), { previousSeq: revision });
        } catch (e) {
          if (isWrongSequence(e)) continue;
          throw e;
        }
        return { object: clone(current) as T, deleted: true };
      }
    });
  }

  /** A filtered store has no consistent view to list or watch from. */
  private refuseUncached(verb: string, res: ResourceKey): void {
    const only = this.opts.cacheOnly;
    if (only) throw errors.internal(`store: this client caches only ${resourceKeyString(only)}, so it cannot ${verb} ${resourceKeyString(res)} (open a full store for lists and watches)`);
  }

  async list<T extends KubeObject>(res: ResourceKey, lopts: ListOptions<T> = {}): Promise<ListResult<T>> {
    this.refuseUncached('list', res);
    return this.timed('list', res, async () => {
      await this.waitConsistent(lopts.resourceVersion);
      const token = resourceToken(res);
      const keys = this.cache.listKeys(token);
      let start = 0;
      let listRevision = this.cache.revision;
      if (lopts.continue) {
        const c = decodeContinue(lopts.continue);
        start = lowerBound(keys, c.key);
        if (keys[start] === c.key) start++;
        listRevision = c.rv;
      }
      const prefix = res.namespaced && lopts.namespace !== undefined ? `${token}.${lopts.namespace}.` : undefined;
      if (prefix) start = Math.max(start, lowerBound(keys, prefix));
      const items: T[] = [];
      const limit = lopts.limit && lopts.limit > 0 ? lopts.limit : Infinity;
      let i = start;
      let lastKey = '';
      for (; i < keys.length && items.length < limit; i++) {
        const key = keys[i]!;
        if (prefix && !key.startsWith(prefix)) { i = keys.length; break; }
        const c = this.cache.lookup(token, key);
        if (!c) continue;
        const obj = c.object as T;
        if (lopts.predicate && !lopts.predicate(obj)) continue;
        items.push(obj);
        lastKey = key;
      }
      const more = items.length >= limit && hasMore(keys, i, prefix);
      return {
        items,
        metadata: { resourceVersion: String(listRevision), ...(more ? { continue: encodeContinue(listRevision, lastKey) } : {}) },
      };
    });
  }

  async watch<T extends KubeObject>(res: ResourceKey, wopts: WatchOptions<T> = {}): Promise<Watch<T>> {
    this.refuseUncached('watch', res);
    const rv = wopts.resourceVersion;
    let fromRevision: number | undefined;
    if (rv && rv !== '0') {
      fromRevision = parseRevision(rv);
      await this.cache.waitFor(fromRevision, this.opts.consistencyTimeoutMs);
    } else if (rv === undefined || rv === '') {
      await this.waitConsistent('');
    }
    const queue = this.cache.watch({
      resource: resourceToken(res),
      namespace: res.namespaced ? wopts.namespace : undefined,
      predicate: wopts.predicate as ((o: KubeObject) => boolean) | undefined,
      fromRevision,
      bookmarkIntervalMs: wopts.allowBookmarks ? this.opts.bookmarkIntervalMs : undefined,
      maxBacklog: this.opts.maxWatchBacklog,
    });
    this.opts.metrics?.watchers.inc({ resource: resourceKeyString(res) });
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      this.opts.metrics?.watchers.dec({ resource: resourceKeyString(res) });
      queue.close();
    };
    return {
      stop,
      [Symbol.asyncIterator]: () => {
        const it = (queue as AsyncIterable<WatchEvent>)[Symbol.asyncIterator]();
        return {
          next: async () => {
            const r = await it.next();
            if (r.done) stop();
            return r as IteratorResult<WatchEvent<T>>;
          },
          return: async () => { stop(); return { done: true, value: undefined }; },
        };
      },
    };
  }

  /** Raises the compaction floor (watches from older revisions get 410 Gone). */
  compact(revision: number): void {
    this.cache.compactTo(revision);
  }

  async close(): Promise<void> {
    this.cache.closeAllWatchers();
    this.writer.close();
    await this.onClose();
  }

  private async doUpdate<T extends KubeObject>(res: ResourceKey, obj: T, wopts: WriteOptions): Promise<T> {
    const name = obj.metadata?.name ?? '';
    const namespace = res.namespaced ? obj.metadata.namespace : undefined;
    const qualified = resourceKeyString(res);
    const wanted = obj.metadata.resourceVersion ? parseRevision(obj.metadata.resourceVersion) : undefined;
    const cached = wanted !== undefined ? this.cache.lookup(resourceToken(res), objectKey(res, namespace, name)) : undefined;
    const { object: current, revision } = cached && cached.revision === wanted ? cached : await this.read(res, namespace, name);
    if (obj.metadata.resourceVersion && parseRevision(obj.metadata.resourceVersion) !== revision) {
      throw errors.conflict(qualified, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    if (obj.metadata.uid && obj.metadata.uid !== current.metadata.uid) {
      throw errors.conflict(qualified, name, `Precondition failed: UID in precondition: ${obj.metadata.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    const meta = obj.metadata;
    meta.uid = current.metadata.uid;
    meta.creationTimestamp = current.metadata.creationTimestamp;
    if (current.metadata.deletionTimestamp) {
      meta.deletionTimestamp = current.metadata.deletionTimestamp;
      meta.deletionGracePeriodSeconds = current.metadata.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (!res.namespaced) delete meta.namespace;
    const admitted = (await this.opts.admission.admit(res, obj, current, 'UPDATE', wopts.subresource)) as T;
    // Compared after defaulting, so re-sending an unchanged manifest does not bump it. A binding
    // always changes the spec (it sets nodeName).
    const changed = wopts.subresource === 'binding' || specChanged(current, admitted);
    admitted.metadata.generation = (current.metadata.generation ?? 1) + (changed ? 1 : 0);
    if (wopts.dryRun) return admitted;
    const key = objectKey(res, namespace, name);
    if (admitted.metadata.deletionTimestamp && (admitted.metadata.finalizers ?? []).length === 0) {
      // Removing the last finalizer of a terminating object completes its deletion.
      try {
        await this.kv.delete(key, { previousSeq: revision });
      } catch (e) {
        if (isWrongSequence(e)) throw errors.conflict(qualified, name, 'the object has been modified; please apply your changes to the latest version and try again');
        throw e;
      }
      admitted.metadata.resourceVersion = String(revision);
      return admitted;
    }
    let rev: number;
    try {
      rev = await this.writer.put(key, encodeObject(admitted), revision);
    } catch (e) {
      if (isWrongSequence(e)) throw errors.conflict(qualified, name, 'the object has been modified; please apply your changes to the latest version and try again');
      throw e;
    }
    this.noteWrite(rev, admitted);
    return admitted;
  }

  /** Strongly consistent read of one object straight from the KV bucket. */
  private async read(res: ResourceKey, namespace: string | undefined, name: string): Promise<{ object: KubeObject; revision: number }> {
    if (!name) throw errors.badRequest('resource name may not be empty');
    const entry = await this.kv.get(objectKey(res, namespace, name));
    if (!entry || entry.operation !== 'PUT') throw errors.notFound(resourceKeyString(res), name);
    return { object: decodeEntry(entry), revision: entry.revision };
  }

  private async checkNamespaceOpen(namespace: string): Promise<void> {
    const cached = this.cache.lookup(resourceToken(NAMESPACES), objectKey(NAMESPACES, undefined, namespace));
    let ns = cached?.object;
    if (!ns) {
      try {
        ns = (await this.read(NAMESPACES, undefined, namespace)).object;
      } catch (e) {
        if (isStatusError(e, 'NotFound')) throw errors.notFound('namespaces', namespace);
        throw e;
      }
    }
    if (ns.metadata.deletionTimestamp) {
      throw new StatusError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`, { name: namespace, kind: 'namespaces' });
    }
  }

  private async waitConsistent(resourceVersion: string | undefined): Promise<void> {
    if (resourceVersion === '0') return;
    let target: number;
    if (resourceVersion) target = parseRevision(resourceVersion);
    else {
      // Like kube-apiserver's consistent reads from cache: learn the newest revision, then wait for it.
      const info = await this.kv.status();
      target = Math.max(this.lastWrite, info.streamInfo.state.last_seq);
    }
    await this.cache.waitFor(target, this.opts.consistencyTimeoutMs);
  }

  private noteWrite(rev: number, written?: KubeObject): void {
    if (rev > this.lastWrite) this.lastWrite = rev;
    if (written) written.metadata.resourceVersion = String(rev);
  }

  /** Metric children per resource key object and operation (resource keys are mostly constants). */
  private readonly series = new WeakMap<ResourceKey, Map<string, { duration: HotHistogramChild; ok: { inc(): void } }>>();

  private async timed<T>(operation: string, res: ResourceKey, fn: () => Promise<T>): Promise<T> {
    const m = this.opts.metrics;
    if (!m) return fn();
    let byOperation = this.series.get(res);
    if (!byOperation) this.series.set(res, (byOperation = new Map()));
    let series = byOperation.get(operation);
    if (!series) {
      const labels = { operation, resource: resourceKeyString(res) };
      byOperation.set(operation, (series = { duration: m.duration.labels(labels), ok: m.operations.labels({ ...labels, result: 'ok' }) }));
    }
    const start = performance.now();
    try {
      const out = await fn();
      series.ok.inc();
      return out;
    } catch (e) {
      m.operations.inc({ operation, resource: resourceKeyString(res), result: e instanceof StatusError ? e.reason : 'error' });
      throw e;
    } finally {
      series.duration.observe((performance.now() - start) / 1000);
    }
  }

}

/** Applies one KV watcher entry to the cache. */
export function applyEntry(cache: ObjectCache, e: KvEntry, logger?: Logger): void {
  const parsed = parseKey(e.key);
  if (!parsed) return;
  const revision = e.revision;
  const decode = (bytes: Uint8Array): KubeObject => {
    try {
      return decodeEntry({ value: bytes, revision });
    } catch (err) {
      // Written by something else than a store: keep its name so it can still be seen and deleted.
      logger?.warn('store: undecodable entry', { key: e.key, revision, error: err as Error });
      const metadata = { name: parsed.name, resourceVersion: String(revision), annotations: { 'kite.dev/undecodable': (err as Error).message } };
      return { metadata: parsed.namespace ? { ...metadata, namespace: parsed.namespace } : metadata };
    }
  };
  // Decoded when first read (a copy of the bytes: the message's buffer is not kept alive).
  // Deletes and purges carry no value: a non-empty value is a PUT without decoding the message's
  // headers (every stored write keeps its CAS header, and parsing it was a cost per event).
  const put = e.value.length > 0 || e.operation === 'PUT';
  cache.apply(parsed.resource, parsed.namespace, e.key, revision, put ? { encoded: e.value.slice(), decode } : undefined);
}

function parseRevision(rv: string): number {
  const n = Number(rv);
  if (!Number.isSafeInteger(n) || n < 0) throw errors.badRequest(`invalid resource version "${rv}"`);
  return n;
}

function encodeContinue(rv: number, key: string): string {
  return Buffer.from(JSON.stringify({ v: 1, rv, key })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; key: string } {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString()) as { v: number; rv: number; key: string };
    if (c.v === 1 && typeof c.key === 'string' && Number.isSafeInteger(c.rv)) return c;
  } catch {
    // fall through
  }
  throw errors.badRequest('continue key is not valid: malformed token');
}

function lowerBound(keys: string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function hasMore(keys: string[], i: number, prefix: string | undefined): boolean {
  return i < keys.length && (!prefix || keys[i]!.startsWith(prefix));
}
