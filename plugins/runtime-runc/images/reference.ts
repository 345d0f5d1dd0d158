// Image references as manifests write them (`nginx`, `busybox:1.36`, `k8s.gcr.io/busybox`,
// `repo@sha256:…`), parsed with the distribution reference grammar and normalized the way the
// Docker/containerd tooling does: no registry → docker.io, one path component → library/, no tag → latest.
import { ImageError } from '../../node-agent/runtime.js';

export interface ImageReference {
  /** Registry host (with port), e.g. `docker.io`, `k8s.gcr.io`, `localhost:5000`. */
  domain: string;
  /** Repository path, e.g. `library/nginx`. */
  path: string;
  tag?: string;
  digest?: string;
  /** Fully qualified: `docker.io/library/nginx:latest` (or `…@sha256:…`). */
  full: string;
  /** Repository without tag or digest: `docker.io/library/nginx`. */
  repository: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const MAX_NAME = 255;

/** The error the kubelet reports for an image name it cannot parse (reason InvalidImageName). */
function invalid(image: string, why: string): ImageError {
  return new ImageError('InvalidImageName', `Failed to apply default image tag "${image}": couldn't parse image name "${image}": ${why}`);
}

export function parseImageReference(image: string): ImageReference {
  if (image === '' || /\s/.test(image)) throw invalid(image, 'invalid reference format');
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(image, 'invalid reference format');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(image, 'invalid reference format');
  }
  const parts = rest.split('/');
  let domain = 'docker.io';
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    if (!DOMAIN.test(first)) throw invalid(image, 'invalid reference format');
    domain = first === 'index.docker.io' ? 'docker.io' : first;
    parts.shift();
  }
  for (const p of parts) {
    if (p !== p.toLowerCase() && COMPONENT.test(p.toLowerCase())) {
      throw invalid(image, `invalid reference format: repository name (${parts.join('/')}) must be lowercase`);
    }
    if (!COMPONENT.test(p)) throw invalid(image, 'invalid reference format');
  }
  if (domain === 'docker.io' && parts.length === 1) parts.unshift('library');
  const path = parts.join('/');
  const repository = `${domain}/${path}`;
  if (repository.length > MAX_NAME) throw invalid(image, `repository name must not be more than ${MAX_NAME} characters`);
  if (!tag && !digest) tag = 'latest';
  const full = digest ? `${repository}@${digest}` : `${repository}:${tag}`;
  return { domain, path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), full, repository };
}

/** Short form for messages and `image ls`: `busybox:1.36`, `k8s.gcr.io/busybox:latest`. */
export function familiarName(ref: ImageReference): string {
  let name = ref.domain === 'docker.io' ? ref.path.replace(/^library\//, '') : ref.repository;
  if (ref.tag) name += `:${ref.tag}`;
  if (ref.digest) name += `@${ref.digest}`;
  return name;
}
