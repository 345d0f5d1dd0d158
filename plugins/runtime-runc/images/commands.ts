// `kite image load|ls|rm|build` as functions (the CLI wires them): the local image store of a
// data directory, loaded from OCI image layouts (directory or tar) and `docker save` tarballs.
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildImageFromHost } from './build.js';
import { pullImage } from './registry.js';
import { familiarName, parseImageReference } from './reference.js';
import { ImageStore, MEDIA, type Descriptor, type StoredImage } from './store.js';

const run = promisify(execFile);

export function imageStoreOf(dataDir: string): ImageStore {
  return new ImageStore(join(dataDir, 'images'));
}

/** Rows for `kite image ls`: NAME, TAG, IMAGE ID (12 hex), SIZE. */
export async function listImages(dataDir: string): Promise<string[][]> {
  const store = imageStoreOf(dataDir);
  await store.init();
  const rows = [['IMAGE', 'TAG', 'IMAGE ID', 'SIZE']];
  for (const image of await store.list()) {
    const ref = parseImageReference(image.reference);
    rows.push([familiarName({ ...ref, tag: undefined, digest: undefined }), ref.tag ?? '<none>', image.digest.slice(7, 19), humanSize(image.size)]);
  }
  return rows;
}

export async function removeImage(dataDir: string, reference: string): Promise<void> {
  const store = imageStoreOf(dataDir);
  await store.init();
  if (!(await store.remove(reference))) throw new Error(`image "${reference}" not found`);
}

export async function buildHostImage(dataDir: string, reference: string, binaries: string[], cmd?: string[]): Promise<StoredImage> {
  const store = imageStoreOf(dataDir);
  await store.init();
  return buildImageFromHost(store, reference, { binaries, ...(cmd ? { config: { Cmd: cmd } } : {}) });
}

/**
 * Loads every image of an OCI image layout (directory or tar) or a `docker save` tarball.
 * `name` names an image that carries no name of its own. Returns the stored references.
 */
export async function loadImages(dataDir: string, source: string, name?: string): Promise<string[]> {
  const store = imageStoreOf(dataDir);
  await store.init();
  if (!existsSync(source)) throw new Error(`${source}: no such file or directory`);
  let dir = source;
  let temporary: string | undefined;
  if (!statSync(source).isDirectory()) {
    temporary = await mkdtemp(join(tmpdir(), 'kite-image-load-'));
    dir = temporary;
    await run('tar', ['-x', '-f', source, '-C', dir, '--no-same-owner']);
  }
  try {
    if (existsSync(join(dir, 'index.json'))) return await loadOciLayout(store, dir, name);
    if (existsSync(join(dir, 'manifest.json'))) return await loadDockerSave(store, dir, name);
    throw new Error(`${source}: neither an OCI image layout (index.json) nor a docker save archive (manifest.json)`);
  } finally {
    if (temporary) await rm(temporary, { recursive: true, force: true });
  }
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

const blobFile = (dir: string, digest: string) => join(dir, 'blobs', ...digest.split(':'));

async function loadOciLayout(store: ImageStore, dir: string, name?: string): Promise<string[]> {
  const index = await readJson<{ manifests: Descriptor[] }>(join(dir, 'index.json'));
  const loaded: string[] = [];
  for (const entry of index.manifests) {
    const manifestDesc = await pickPlatform(dir, entry);
    const manifest = await readJson<{ config: Descriptor; layers: Descriptor[] }>(blobFile(dir, manifestDesc.digest));
    for (const d of [manifest.config, ...manifest.layers, manifestDesc]) await store.putBlobFile(blobFile(dir, d.digest), d.mediaType);
    const reference = referenceOf(entry.annotations ?? {}, name);
    if (!reference) throw new Error(`${dir}: image ${manifestDesc.digest} has no name: give one with --name`);
    await store.tagManifest(reference, manifestDesc);
    loaded.push(parseImageReference(reference).full);
  }
  return loaded;
}

/** containerd's full name, or the OCI ref name: a full reference, or a bare tag completed by `name`. */
function referenceOf(annotations: Record<string, string>, name?: string): string | undefined {
  const full = annotations['io.containerd.image.name'];
  if (full) return full;
  const ref = annotations['org.opencontainers.image.ref.name'];
  if (ref && (ref.includes('/') || ref.includes(':'))) return ref;
  if (ref && name) return `${name}:${ref}`;
  return name;
}

/** For a multi-platform index, the linux manifest of this machine's architecture. */
async function pickPlatform(dir: string, entry: Descriptor): Promise<Descriptor> {
  if (entry.mediaType !== MEDIA.index && entry.mediaType !== 'application/vnd.docker.distribution.manifest.list.v2+json') return entry;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const nested = await readJson<{ manifests: Array<Descriptor & { platform?: { os: string; architecture: string } }> }>(blobFile(dir, entry.digest));
  const found = nested.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch);
  if (!found) throw new Error(`no linux/${arch} image in ${entry.digest}`);
  return found;
}

async function loadDockerSave(store: ImageStore, dir: string, name?: string): Promise<string[]> {
  const entries = await readJson<Array<{ Config: string; RepoTags?: string[] | null; Layers: string[] }>>(join(dir, 'manifest.json'));
  const loaded: string[] = [];
  for (const e of entries) {
    const config = await readJson<Record<string, unknown>>(join(dir, e.Config));
    const layers: Descriptor[] = [];
    for (const layer of e.Layers) layers.push(await store.putBlobFile(join(dir, layer), (await isGzip(join(dir, layer))) ? MEDIA.layerGzip : MEDIA.layer));
    const tags = e.RepoTags && e.RepoTags.length > 0 ? e.RepoTags : name ? [name] : [];
    if (tags.length === 0) throw new Error(`${e.Config}: image has no RepoTags: give a name with --name`);
    for (const tag of tags) {
      const image = await store.addImage(tag, layers, config as never);
      loaded.push(image.reference);
    }
  }
  return loaded;
}

async function isGzip(path: string): Promise<boolean> {
  const f = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    await f.read(b, 0, 2, 0);
    return b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await f.close();
  }
}

function humanSize(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)}GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)}MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)}kB`;
  return `${bytes}B`;
}

/** `kite image pull REF`: from the registry (loopback registries over HTTP, others over HTTPS). */
export async function pullImageCommand(dataDir: string, reference: string, insecure: string[] = []): Promise<string> {
  const store = imageStoreOf(dataDir);
  await store.init();
  const ref = parseImageReference(reference);
  await pullImage(store, ref, { insecure });
  return ref.full;
}
