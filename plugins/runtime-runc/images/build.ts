// Images built from the host's own binaries (`kite image build NAME --from-host BIN…`): each binary
// with the shared libraries ldd reports, in one uncompressed layer. The default catalogue (busybox,
// an nginx stand-in, python) is built this way on first use, so the seed manifests need no registry.
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseImageReference } from './reference.js';
import { MEDIA, type ImageConfig, type ImageStore, type StoredImage } from './store.js';

const run = promisify(execFile);

export interface HostImageSpec {
  /** Host paths of binaries (copied to the same path in the image, with their libraries). */
  binaries: string[];
  /** Host directories copied whole (e.g. a language's standard library). */
  directories?: string[];
  /** Symlinks to create: path in the image → target. */
  symlinks?: Record<string, string>;
  /** Extra files: path in the image → content. */
  files?: Record<string, string>;
  config?: Partial<ImageConfig['config']>;
}

const BASE_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
const BASE_FILES: Record<string, string> = {
  '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  '/etc/group': 'root:x:0:\nnogroup:x:65534:\n',
  '/etc/hosts': '127.0.0.1\tlocalhost\n::1\tlocalhost\n',
};

/** Libraries a dynamically linked binary needs (absolute paths), from ldd; none for static binaries. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  let stdout = '';
  try {
    ({ stdout } = await run('ldd', [binary]));
  } catch {
    return []; // "not a dynamic executable"
  }
  const libs = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.add(m[1]!);
  }
  return [...libs];
}

/** Builds `reference` from host files and stores it; returns the stored image. */
export async function buildImageFromHost(store: ImageStore, reference: string, spec: HostImageSpec): Promise<StoredImage> {
  parseImageReference(reference);
  const staging = await mkdtemp(join(tmpdir(), 'kite-image-'));
  try {
    const rootfs = join(staging, 'rootfs');
    for (const dir of ['bin', 'etc', 'tmp', 'root', 'proc', 'sys', 'dev', 'usr/bin', 'var/run']) await mkdir(join(rootfs, dir), { recursive: true });
    await chmod(join(rootfs, 'tmp'), 0o1777);
    const files = new Set<string>();
    for (const binary of spec.binaries) {
      if (!existsSync(binary)) throw new Error(`cannot build ${reference}: ${binary} is not on this host`);
      files.add(binary);
      for (const lib of await sharedLibraries(binary)) files.add(lib);
    }
    for (const file of files) await copyWithLinks(file, rootfs);
    for (const dir of spec.directories ?? []) {
      await mkdir(join(rootfs, dirname(dir)), { recursive: true });
      await cp(dir, join(rootfs, dir), { recursive: true, verbatimSymlinks: true });
    }
    for (const [path, content] of Object.entries({ ...BASE_FILES, ...spec.files })) {
      await mkdir(join(rootfs, dirname(path)), { recursive: true });
      await writeFile(join(rootfs, path), content);
    }
    for (const [path, target] of Object.entries(spec.symlinks ?? {})) {
      await mkdir(join(rootfs, dirname(path)), { recursive: true });
      if (!existsSync(join(rootfs, path))) await symlink(target, join(rootfs, path));
    }
    const layerFile = join(staging, 'layer.tar');
    // Sorted names and fixed mtimes: the same host files give the same layer digest.
    await run('tar', ['-c', '-f', layerFile, '-C', rootfs, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '.']);
    const layer = await store.putBlobFile(layerFile, MEDIA.layer);
    return await store.addImage(reference, [layer], {
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      os: 'linux',
      created: new Date(0).toISOString(),
      config: { Env: BASE_ENV, ...spec.config },
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Copies a host file into the rootfs at the same path; a symlinked path keeps its link and target. */
async function copyWithLinks(file: string, rootfs: string): Promise<void> {
  const real = realpathSync(file);
  await mkdir(join(rootfs, dirname(real)), { recursive: true });
  if (!existsSync(join(rootfs, real))) await cp(real, join(rootfs, real));
  if (real !== file) {
    await mkdir(join(rootfs, dirname(file)), { recursive: true });
    if (!existsSync(join(rootfs, file))) await symlink(real, join(rootfs, file));
  }
}

/** busybox applets linked in /bin, so `sh`, `ls`, `wget`, `httpd`, ... exist by name. */
async function busyboxSpec(): Promise<HostImageSpec> {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox is not installed on this host (Debian package busybox-static)');
  const { stdout } = await run(busybox, ['--list']);
  const symlinks: Record<string, string> = {};
  for (const applet of stdout.split('\n').filter(Boolean)) if (applet !== 'busybox') symlinks[`/bin/${applet}`] = 'busybox';
  // copyWithLinks keeps /bin/busybox (a link when the host's /bin is merged into /usr/bin).
  return { binaries: [busybox], symlinks, config: { Cmd: ['sh'] } };
}

/** Names the default catalogue builds on first use, and how. */
const CATALOGUE: Record<string, () => Promise<HostImageSpec>> = {
  'docker.io/library/busybox': busyboxSpec,
  // Stand-in: Debian's nginx is not installed here, so "nginx" is busybox httpd serving on :80.
  // nginx stops at SIGTERM; httpd as a container's PID 1 has no handler, so the kernel would drop
  // the signal and every pod deletion would wait out its grace period (30 s): a shell that traps
  // TERM/INT ends it instead.
  'docker.io/library/nginx': async () => {
    const spec = await busyboxSpec();
    return {
      ...spec,
      files: { '/usr/share/nginx/html/index.html': '<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>\n' },
      config: { Cmd: ['sh', '-c', 'httpd -f -v -p 80 -h /usr/share/nginx/html & trap "kill $!; exit 0" TERM INT; wait $!'], ExposedPorts: { '80/tcp': {} } },
    };
  },
  'docker.io/library/python': async () => {
    const python = ['/usr/bin/python3.11', '/usr/bin/python3'].map((p) => (existsSync(p) ? realpathSync(p) : '')).find(Boolean);
    if (!python) throw new Error('python3 is not installed on this host');
    const version = /python(3\.\d+)$/.exec(python)?.[1] ?? '3';
    const spec = await busyboxSpec();
    return {
      ...spec,
      binaries: [...spec.binaries, python],
      directories: [`/usr/lib/python${version}`].filter((d) => existsSync(d)),
      symlinks: { ...spec.symlinks, '/usr/bin/python3': python, '/usr/bin/python': python, '/usr/local/bin/python': python },
      config: { Cmd: ['python3'] },
    };
  },
};

/** Builds the catalogue image matching `reference` (any tag) if there is one; false when there is not. */
export async function buildFromCatalogue(store: ImageStore, reference: string): Promise<boolean> {
  const ref = parseImageReference(reference);
  const recipe = CATALOGUE[ref.repository];
  if (!recipe || ref.digest) return false;
  await buildImageFromHost(store, ref.full, await recipe());
  return true;
}
