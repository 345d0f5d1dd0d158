// Pulling from an OCI distribution registry (HTTP API v2): manifest (or the linux/<arch> entry of
// an index), config and layers, each checked against its digest, into the local store. Anonymous
// bearer tokens are fetched when the registry asks for them. Loopback registries speak plain HTTP.
import { createHash } from 'node:crypto';
import { ImageError } from '../../node-agent/runtime.js';
import type { ImageReference } from './reference.js';
import type { Descriptor, ImageStore } from './store.js';

const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

/** Whether the runtime may contact this registry: loopback always, others when listed (or `*`). */
export function registryAllowed(domain: string, allowed: string[]): boolean {
  return isLoopback(domain) || allowed.includes('*') || allowed.includes(domain);
}

export interface PullOptions {
  /** Registries reached over plain HTTP besides loopback ones (host[:port]). */
  insecure?: string[];
  timeoutMs?: number;
}

interface ManifestJson {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  manifests?: Array<Descriptor & { platform?: { os: string; architecture: string } }>;
}

function isLoopback(domain: string): boolean {
  const host = domain.replace(/:\d+$/, '');
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

/** containerd's wording, which the kubelet shows in the ErrImagePull message. */
function pullError(ref: ImageReference, why: string): ImageError {
  return new ImageError('ErrImagePull', `failed to pull and unpack image "${ref.full}": ${why}`);
}

class RegistryClient {
  private token?: string;

  constructor(private readonly base: string, private readonly ref: ImageReference, private readonly timeoutMs: number) {}

  async get(path: string, accept?: string): Promise<Response> {
    const url = `${this.base}/v2/${this.ref.path}/${path}`;
    let res = await this.fetch(url, accept);
    if (res.status === 401 && !this.token) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      if (/^bearer /i.test(challenge)) {
        this.token = await this.anonymousToken(challenge);
        res = await this.fetch(url, accept);
      }
    }
    return res;
  }

  private fetch(url: string, accept?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (accept) headers.accept = accept;
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    return fetch(url, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
  }

  private async anonymousToken(challenge: string): Promise<string> {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    const url = new URL(params.realm ?? '');
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${this.ref.path}:pull`);
    const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new Error(`failed to fetch anonymous token: unexpected status ${res.status} from ${url.origin}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    return body.token ?? body.access_token ?? '';
  }
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Pulls `ref` into the store and names it; throws ImageError (ErrImagePull) with the registry's reason. */
export async function pullImage(store: ImageStore, ref: ImageReference, opts: PullOptions = {}): Promise<void> {
  const plain = isLoopback(ref.domain) || (opts.insecure ?? []).includes(ref.domain);
  const host = ref.domain === 'docker.io' ? 'registry-1.docker.io' : ref.domain;
  const client = new RegistryClient(`${plain ? 'http' : 'https'}://${host}`, ref, opts.timeoutMs ?? 30_000);
  const target = ref.digest ?? ref.tag ?? 'latest';
  const readVerified = async (path: string, digest: string | undefined, accept?: string): Promise<{ body: Buffer; type: string }> => {
    let res: Response;
    try {
      res = await client.get(path, accept);
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw pullError(ref, `failed to resolve reference "${ref.full}": failed to do request: Get "${plain ? 'http' : 'https'}://${host}/v2/${ref.path}/${path}": ${cause?.message ?? (e as Error).message}`);
    }
    if (res.status === 404) throw pullError(ref, `failed to resolve reference "${ref.full}": ${ref.full}: not found`);
    if (res.status === 401 || res.status === 403) {
      throw pullError(ref, `failed to resolve reference "${ref.full}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`);
    }
    if (!res.ok) throw pullError(ref, `failed to resolve reference "${ref.full}": unexpected status from GET request to ${path}: ${res.status} ${res.statusText}`);
    const body = Buffer.from(await res.arrayBuffer());
    if (digest && sha256(body) !== digest) throw pullError(ref, `failed commit on ref "${digest}": unexpected commit digest ${sha256(body)}, expected ${digest}: failed precondition`);
    return { body, type: (res.headers.get('content-type') ?? '').split(';')[0]!.trim() };
  };
  const fetchBlob = async (d: Descriptor) => (await readVerified(`blobs/${d.digest}`, d.digest)).body;

  let { body, type } = await readVerified(`manifests/${target}`, ref.digest, ACCEPT);
  let manifest = JSON.parse(body.toString('utf8')) as ManifestJson;
  if (INDEX_TYPES.has(manifest.mediaType ?? type)) {
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    const entry = manifest.manifests?.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch);
    if (!entry) throw pullError(ref, `no match for platform in manifest: not found (linux/${arch})`);
    ({ body, type } = await readVerified(`manifests/${entry.digest}`, entry.digest, ACCEPT));
    manifest = JSON.parse(body.toString('utf8')) as ManifestJson;
  }
  await store.putBlob(await fetchBlob(manifest.config), manifest.config.mediaType);
  for (const layer of manifest.layers) await store.putBlob(await fetchBlob(layer), layer.mediaType);
  const manifestDesc = await store.putBlob(body, manifest.mediaType ?? type);
  await store.tagManifest(ref.full, manifestDesc);
}
