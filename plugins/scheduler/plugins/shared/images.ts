// Container image names: the spellings a pod and a node's status.images may use for one image.
// `nginx`, `nginx:latest`, `library/nginx`, `docker.io/library/nginx:latest` and
// `index.docker.io/library/nginx:latest` are the same image (the Docker reference rules: no
// registry = docker.io, no namespace on Docker Hub = library/, no tag and no digest = :latest).

const DOCKER_HUB = 'docker.io';

/** Does the first path component name a registry (has a dot or a port, or is localhost)? */
function isRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

/** The canonical spelling: `nginx` → `docker.io/library/nginx:latest`. */
export function normalizeImageName(image: string): string {
  let name = image.trim();
  const slash = name.indexOf('/');
  let registry = DOCKER_HUB;
  let path = name;
  if (slash >= 0 && isRegistry(name.slice(0, slash))) {
    registry = name.slice(0, slash);
    path = name.slice(slash + 1);
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  name = `${registry}/${path}`;
  // A tag is a ':' after the last '/'; a digest is '@'.
  const hasDigest = name.includes('@');
  const hasTag = name.lastIndexOf(':') > name.lastIndexOf('/');
  if (!hasDigest && !hasTag) name += ':latest';
  return name;
}

/**
 * Every key under which a node's image table may hold `image`: the canonical name first, then
 * the short Docker Hub spellings (`library/nginx:latest`, `nginx:latest`), so a lookup works
 * whether the table was keyed by canonical names or by upstream's `:latest`-only normalization.
 */
export function imageNameCandidates(image: string): string[] {
  const canonical = normalizeImageName(image);
  const out = [canonical];
  const hub = `${DOCKER_HUB}/`;
  if (canonical.startsWith(hub)) {
    const path = canonical.slice(hub.length);
    out.push(path);
    if (path.startsWith('library/')) out.push(path.slice('library/'.length));
  }
  return out;
}
