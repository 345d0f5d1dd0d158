// Public surface of the object store.
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { admitAll, type Admission } from '../objects/admission.js';
import type { Logger } from '../log.js';
import type { ResourceKey } from '../objects/types.js';
import { ObjectCache } from './cache.js';
import { resourceToken } from './keys.js';
import { applyEntry, KvObjectStore } from './kv-store.js';
import { createStoreMetrics } from './metrics.js';

export type { DeleteOptions, DeleteResult, GuaranteedUpdateOptions, ListOptions, ListResult, ObjectStore, Watch, WatchOptions, WriteOptions } from './types.js';
export { KvObjectStore, nowTimestamp } from './kv-store.js';
export { objectKey, parseKey, resourceToken } from './keys.js';

export interface OpenStoreOptions {
  /** KV bucket name (default `kite`). */
  bucket?: string;
  /** Replicas for a new bucket (1 for the embedded server, 3 in a cluster). */
  replicas?: number;
  admission?: Admission;
  metrics?: Registry;
  logger?: Logger;
  /** Events kept for watch resumption; older resourceVersions get 410 Gone. */
  watchWindow?: number;
  bookmarkIntervalMs?: number;
  consistencyTimeoutMs?: number;
  maxWatchBacklog?: number;
  /**
   * Cache (and so watch) only this resource: for write-mostly clients, which then neither receive
   * nor decode every other change (NATS 2.9 consumers take one filter subject). Such a store
   * refuses list and watch; get, create, update and delete work as on a full store.
   */
  cacheOnly?: ResourceKey;
}

/**
 * Opens (creating if needed) the bucket, loads every object into the cache through one ordered
 * watcher, and resolves once the cache holds the state as of the moment of opening.
 */
export async function openObjectStore(nc: NatsConnection, opts: OpenStoreOptions = {}): Promise<KvObjectStore> {
  const js = nc.jetstream();
  const kv = await js.views.kv(opts.bucket ?? 'kite', { history: 1, replicas: opts.replicas ?? 1 });
  const initialRevision = (await kv.status()).streamInfo.state.last_seq;
  const cache = new ObjectCache(0, opts.watchWindow ?? 100_000);
  let markReady!: () => void;
  let markFailed!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => { markReady = res; markFailed = rej; });
  let initialized = false;
  let caughtUp = false;
  const filter = opts.cacheOnly ? `${resourceToken(opts.cacheOnly)}.>` : '>';
  // A filtered watcher may never see the stream's last revision: it is ready when it has caught up.
  const iter = await kv.watch({ key: filter, initializedFn: () => { caughtUp = true; checkInitialized(); } });
  function checkInitialized(): void {
    // The stream's last message is the newest entry of its key, so the watcher always delivers it.
    if (!initialized && (opts.cacheOnly ? caughtUp : cache.revision >= initialRevision)) {
      initialized = true;
      cache.initialized(initialRevision);
      markReady();
    }
  }
  checkInitialized();
  const pump = (async () => {
    for await (const e of iter) {
      applyEntry(cache, e, opts.logger);
      if (!initialized) checkInitialized();
    }
  })().catch((e: unknown) => {
    opts.logger?.error('store: watcher stopped', { error: e as Error });
    if (!initialized) markFailed(e as Error);
  });
  await ready;
  const metrics = opts.metrics ? createStoreMetrics(opts.metrics, () => cache.objectCount, () => cache.revision) : undefined;
  return new KvObjectStore(
    nc,
    kv,
    cache,
    {
      bucket: opts.bucket ?? 'kite',
      admission: opts.admission ?? admitAll,
      logger: opts.logger,
      metrics,
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
      consistencyTimeoutMs: opts.consistencyTimeoutMs ?? 5_000,
      maxWatchBacklog: opts.maxWatchBacklog ?? 100_000,
      cacheOnly: opts.cacheOnly,
    },
    async () => {
      iter.stop();
      await pump;
    },
  );
}
