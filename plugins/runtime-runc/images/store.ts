// The local image store: an OCI image layout on disk (`oci-layout`, `index.json`,
// `blobs/sha256/<hex>`), images named by their fully qualified reference in the index annotation
// `org.opencontainers.image.ref.name`, and unpacked root filesystems under `rootfs/<manifest hex>`.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile, copyFile, readdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { familiarName, parseImageReference } from './reference.js';

const run = promisify(execFile);

/**
 * Several node agents (`kite up --nodes N`, or `kite node` next to `kite up`) may share one
 * store: every temporary name is unique to its writer, and renames make results appear whole.
 */
function tmpName(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** A lock held by one process at a time (O_EXCL file); a holder dead for `staleMs` is broken. */
async function withFileLock<T>(path: string, fn: () => Promise<T>, staleMs = 30_000): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = await stat(path).then((st) => Date.now() - st.mtimeMs, () => 0);
      if (age > staleMs) await rm(path, { force: true });
      else await new Promise((r) => setTimeout(r, Math.min(5 + attempt * 5, 50)));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

const REF_ANNOTATION = 'org.opencontainers.image.ref.name';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** The parts of an OCI image config the runtime uses. */
export interface ImageConfig {
  architecture: string;
  os: string;
  config: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string; ExposedPorts?: Record<string, object> };
  rootfs: { type: 'layers'; diff_ids: string[] };
  created?: string;
}

interface Manifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface StoredImage {
  /** Fully qualified reference, e.g. `docker.io/library/busybox:latest`. */
  reference: string;
  /** `busybox:latest` */
  name: string;
  /** Digest of the manifest: the image id. */
  digest: string;
  size: number;
}

export interface ResolvedImage extends StoredImage {
  config: ImageConfig;
  layers: Descriptor[];
}

export class ImageStore {
  private readonly blobs: string;
  private indexLock: Promise<unknown> = Promise.resolve();
  private readonly unpacking = new Map<string, Promise<string>>();
  /**
   * index.json as last read, with the file's identity: every pod start resolves its images twice,
   * and one stat replaces three file reads (the index may change under us: `kite image` and the
   * other nodes of the machine write it, always by rename).
   */
  private index?: { ino: number; mtimeMs: number; size: number; entries: Descriptor[] };
  /** Parsed manifests and configs by digest: content-addressed, so they never change. */
  private readonly blobJson = new Map<string, unknown>();

  constructor(readonly root: string) {
    this.blobs = join(root, 'blobs', 'sha256');
  }

  async init(): Promise<void> {
    await mkdir(this.blobs, { recursive: true });
    await mkdir(join(this.root, 'rootfs'), { recursive: true });
    if (!existsSync(join(this.root, 'oci-layout'))) await writeFile(join(this.root, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    if (!existsSync(join(this.root, 'index.json'))) await this.writeIndex([]);
  }

  blobPath(digest: string): string {
    return join(this.blobs, digest.replace(/^sha256:/, ''));
  }

  /** Stores bytes as a blob; returns its descriptor. */
  async putBlob(data: Buffer | string, mediaType: string): Promise<Descriptor> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = `sha256:${createHash('sha256').update(buf).digest('hex')}`;
    const path = this.blobPath(digest);
    if (!existsSync(path)) {
      const tmp = tmpName(path);
      await writeFile(tmp, buf);
      await rename(tmp, path);
    }
    return { mediaType, digest, size: buf.length };
  }

  /** Moves a file (e.g. a layer tarball) into the blob store; returns its descriptor. */
  async putBlobFile(file: string, mediaType: string): Promise<Descriptor> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const digest = `sha256:${hash.digest('hex')}`;
    const path = this.blobPath(digest);
    if (!existsSync(path)) {
      const tmp = tmpName(path);
      await copyFile(file, tmp);
      await rename(tmp, path);
    }
    return { mediaType, digest, size };
  }

  /** Writes config + manifest for the given layers and names the image `reference` in the index. */
  async addImage(reference: string, layers: Descriptor[], config: Omit<ImageConfig, 'rootfs'>): Promise<StoredImage> {
    const ref = parseImageReference(reference);
    const fullConfig: ImageConfig = { ...config, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } };
    const configDesc = await this.putBlob(JSON.stringify(fullConfig), MEDIA.config);
    const manifest: Manifest = { schemaVersion: 2, mediaType: MEDIA.manifest, config: configDesc, layers };
    const manifestDesc = await this.putBlob(JSON.stringify(manifest), MEDIA.manifest);
    await this.updateIndex((entries) => [
      ...entries.filter((e) => e.annotations?.[REF_ANNOTATION] !== ref.full),
      { ...manifestDesc, annotations: { [REF_ANNOTATION]: ref.full } },
    ]);
    return { reference: ref.full, name: familiarName(ref), digest: manifestDesc.digest, size: manifestDesc.size + configDesc.size + layers.reduce((n, l) => n + l.size, 0) };
  }

  /** Names an already stored manifest (image load keeps the original digests). */
  async tagManifest(reference: string, manifest: Descriptor): Promise<void> {
    const ref = parseImageReference(reference);
    await this.updateIndex((entries) => [
      ...entries.filter((e) => e.annotations?.[REF_ANNOTATION] !== ref.full),
      { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size, annotations: { [REF_ANNOTATION]: ref.full } },
    ]);
  }

  /** The image named `reference` (any accepted spelling), or undefined when it is not stored. */
  async resolve(reference: string): Promise<ResolvedImage | undefined> {
    const ref = parseImageReference(reference);
    const entries = await this.readIndex();
    const entry = ref.digest
      ? entries.find((e) => e.digest === ref.digest || e.annotations?.[REF_ANNOTATION] === ref.full)
      : entries.find((e) => e.annotations?.[REF_ANNOTATION] === ref.full);
    if (!entry) return undefined;
    const manifest = await this.readBlobJson<Manifest>(entry.digest);
    const config = await this.readBlobJson<ImageConfig>(manifest.config.digest);
    const size = entry.size + manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
    return { reference: ref.full, name: familiarName(ref), digest: entry.digest, size, config, layers: manifest.layers };
  }

  async list(): Promise<StoredImage[]> {
    const out: StoredImage[] = [];
    for (const e of await this.readIndex()) {
      const name = e.annotations?.[REF_ANNOTATION];
      if (!name) continue;
      const resolved = await this.resolve(name);
      if (resolved) out.push({ reference: resolved.reference, name: resolved.name, digest: resolved.digest, size: resolved.size });
    }
    return out;
  }

  /** Removes the name; blobs no other image uses, and its unpacked rootfs, go too. Returns false when unknown. */
  async remove(reference: string): Promise<boolean> {
    const ref = parseImageReference(reference);
    let removed: Descriptor | undefined;
    await this.updateIndex((entries) => {
      removed = entries.find((e) => e.annotations?.[REF_ANNOTATION] === ref.full);
      return entries.filter((e) => e !== removed);
    });
    if (!removed) return false;
    await this.garbageCollect();
    return true;
  }

  /** The image's root filesystem, unpacked once and shared read-only (containers overlay it). */
  async rootfs(image: ResolvedImage): Promise<string> {
    const dir = join(this.root, 'rootfs', image.digest.replace(/^sha256:/, ''));
    if (existsSync(join(dir, '.complete'))) return dir;
    let pending = this.unpacking.get(dir);
    if (!pending) {
      pending = this.unpack(image, dir).finally(() => this.unpacking.delete(dir));
      this.unpacking.set(dir, pending);
    }
    return pending;
  }

  private async unpack(image: ResolvedImage, dir: string): Promise<string> {
    const staging = tmpName(`${dir}.partial`);
    await mkdir(staging, { recursive: true });
    for (const layer of image.layers) {
      const gzip = layer.mediaType.endsWith('gzip');
      // Whiteouts (.wh.*) are applied after extraction: a layer's tar may delete lower files.
      await run('tar', ['-x', ...(gzip ? ['-z'] : []), '-f', this.blobPath(layer.digest), '-C', staging, '--no-same-owner', '--numeric-owner']);
      await applyWhiteouts(staging);
    }
    await writeFile(join(staging, '.complete'), '');
    // Another process may have unpacked the same image meanwhile: its copy may already be the
    // lower layer of running containers, so it is never replaced; ours is dropped instead.
    try {
      if (existsSync(dir) && !existsSync(join(dir, '.complete'))) await rm(dir, { recursive: true, force: true });
      await rename(staging, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(join(dir, '.complete'))) throw e;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return dir;
  }

  private async garbageCollect(): Promise<void> {
    const live = new Set<string>();
    for (const e of await this.readIndex()) {
      live.add(e.digest);
      const manifest = JSON.parse(await readFile(this.blobPath(e.digest), 'utf8')) as Manifest;
      live.add(manifest.config.digest);
      for (const l of manifest.layers) live.add(l.digest);
    }
    for (const hex of await readdir(this.blobs)) {
      if (!live.has(`sha256:${hex}`)) await rm(join(this.blobs, hex), { force: true });
    }
    for (const hex of await readdir(join(this.root, 'rootfs'))) {
      if (!live.has(`sha256:${hex}`)) await rm(join(this.root, 'rootfs', hex), { recursive: true, force: true });
    }
  }

  private async readIndex(): Promise<Descriptor[]> {
    const path = join(this.root, 'index.json');
    const st = await stat(path);
    const known = this.index;
    if (known && known.ino === st.ino && known.mtimeMs === st.mtimeMs && known.size === st.size) return [...known.entries];
    const index = JSON.parse(await readFile(path, 'utf8')) as { manifests?: Descriptor[] };
    const entries = index.manifests ?? [];
    this.index = { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, entries };
    return [...entries];
  }

  private async readBlobJson<T>(digest: string): Promise<T> {
    const known = this.blobJson.get(digest);
    if (known) return structuredClone(known) as T;
    const value = JSON.parse(await readFile(this.blobPath(digest), 'utf8')) as T;
    this.blobJson.set(digest, value);
    return structuredClone(value);
  }

  private async writeIndex(manifests: Descriptor[]): Promise<void> {
    const path = join(this.root, 'index.json');
    const tmp = tmpName(path);
    await writeFile(tmp, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests }, null, 2));
    await rename(tmp, path);
  }

  /** Serializes index read-modify-write within this process, and across processes with a lock file. */
  private updateIndex(change: (entries: Descriptor[]) => Descriptor[]): Promise<void> {
    const next = this.indexLock.then(() => withFileLock(join(this.root, 'index.lock'), async () => this.writeIndex(change(await this.readIndex()))));
    this.indexLock = next.catch(() => undefined);
    return next;
  }
}

/** Applies OCI whiteouts: `.wh.name` deletes `name`, `.wh..wh..opq` empties its directory. */
async function applyWhiteouts(root: string): Promise<void> {
  const { stdout } = await run('find', [root, '-name', '.wh.*']);
  for (const path of stdout.split('\n').filter(Boolean)) {
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash);
    const base = path.slice(slash + 1);
    if (base === '.wh..wh..opq') {
      for (const entry of await readdir(dir)) if (entry !== base) await rm(join(dir, entry), { recursive: true, force: true });
    } else {
      await rm(join(dir, base.slice(4)), { recursive: true, force: true });
    }
    await rm(path, { force: true });
  }
}
