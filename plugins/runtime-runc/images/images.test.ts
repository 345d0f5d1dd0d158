// Image references and the local OCI image store: normalization as upstream, malformed names with
// the kubelet's message, host-built images stored content-addressed, unpacked and removed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ImageError } from '../../node-agent/runtime.js';
import { buildFromCatalogue, buildImageFromHost } from './build.js';
import { familiarName, parseImageReference } from './reference.js';
import { ImageStore } from './store.js';

t.test('references normalize like docker/containerd', async (t) => {
  const cases: Array<[string, string]> = [
    ['nginx', 'docker.io/library/nginx:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['k8s.gcr.io/busybox', 'k8s.gcr.io/busybox:latest'],
    ['python:3.7', 'docker.io/library/python:3.7'],
    ['user/app:v1', 'docker.io/user/app:v1'],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx:latest'],
    ['localhost:5000/team/app:2', 'localhost:5000/team/app:2'],
    [`busybox@sha256:${'a'.repeat(64)}`, `docker.io/library/busybox@sha256:${'a'.repeat(64)}`],
  ];
  for (const [input, full] of cases) t.equal(parseImageReference(input).full, full, input);
  t.equal(familiarName(parseImageReference('nginx')), 'nginx:latest');
  for (const bad of ['', 'Not//Valid', 'nginx:', 'a b', 'nginx@sha256:12', '-x']) {
    let error: unknown;
    try { parseImageReference(bad); } catch (e) { error = e; }
    t.ok(error instanceof ImageError && error.reason === 'InvalidImageName' && /^Failed to apply default image tag/.test(error.message), `${JSON.stringify(bad)} is refused`);
  }
  t.throws(() => parseImageReference('Busybox'), /repository name \(library\/Busybox\) must be lowercase|invalid reference format/);
});

t.test('host-built images in the OCI layout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-images-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new ImageStore(dir);
  await store.init();
  t.equal(await store.resolve('busybox'), undefined);
  t.equal(await buildFromCatalogue(store, 'busybox'), true);
  t.equal(await buildFromCatalogue(store, 'no-such-thing'), false);
  const image = await store.resolve('docker.io/library/busybox:latest');
  t.ok(image, 'resolved by its full name');
  t.same(image!.config.config.Cmd, ['sh']);
  t.match(image!.digest, /^sha256:[0-9a-f]{64}$/);
  t.ok(existsSync(store.blobPath(image!.layers[0]!.digest)), 'layer blob stored by digest');
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ annotations: Record<string, string> }> };
  t.equal(index.manifests[0]!.annotations['org.opencontainers.image.ref.name'], 'docker.io/library/busybox:latest');
  const rootfs = await store.rootfs(image!);
  t.ok(existsSync(join(rootfs, 'bin', 'sh')), 'applet links unpacked');
  const again = await buildImageFromHost(store, 'tools:1', { binaries: ['/bin/busybox'], files: { '/etc/motd': 'hi\n' }, config: { Entrypoint: ['/bin/busybox'] } });
  t.equal(again.name, 'tools:1');
  t.same((await store.list()).map((i) => i.name).sort(), ['busybox:latest', 'tools:1']);
  t.equal(await store.remove('busybox'), true);
  t.equal(await store.remove('busybox'), false);
  t.equal(existsSync(rootfs), false, 'unpacked rootfs removed with the image');
  t.same((await store.list()).map((i) => i.name), ['tools:1']);
});

t.test('two store instances (two node agents) on one directory build and unpack at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-images-shared-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = new ImageStore(dir);
  const b = new ImageStore(dir);
  await Promise.all([a.init(), b.init()]);
  // Index read-modify-write from both: neither name may be lost.
  await Promise.all([buildFromCatalogue(a, 'busybox'), buildFromCatalogue(b, 'nginx'), buildFromCatalogue(a, 'busybox:1.36'), buildFromCatalogue(b, 'busybox:1.35')]);
  t.same((await a.list()).map((i) => i.name).sort(), ['busybox:1.35', 'busybox:1.36', 'busybox:latest', 'nginx:latest'], 'every build is in the index');
  const image = (await a.resolve('busybox'))!;
  const [ra, rb] = await Promise.all([a.rootfs(image), b.rootfs((await b.resolve('busybox'))!)]);
  t.equal(ra, rb, 'one unpacked rootfs');
  t.ok(existsSync(join(ra, '.complete')) && existsSync(join(ra, 'bin', 'sh')), 'complete and whole');
  const { readdirSync } = await import('node:fs');
  t.same(readdirSync(join(dir, 'rootfs')).filter((n) => n.includes('.partial') || n.includes('.tmp')), [], 'no staging left behind');
  t.notOk(existsSync(join(dir, 'index.lock')), 'lock released');
});

t.test('image load (OCI layout, docker save), ls and rm', async (t) => {
  const { buildHostImage, listImages, loadImages, removeImage } = await import('./commands.js');
  const { execFileSync } = await import('node:child_process');
  const { mkdirSync, writeFileSync, copyFileSync } = await import('node:fs');
  const { createHash } = await import('node:crypto');
  const source = mkdtempSync(join(tmpdir(), 'kite-images-src-'));
  const target = mkdtempSync(join(tmpdir(), 'kite-images-dst-'));
  t.teardown(() => { rmSync(source, { recursive: true, force: true }); rmSync(target, { recursive: true, force: true }); });
  const built = await buildHostImage(source, 'example.com/tools/bb:2', ['/bin/busybox'], ['/bin/busybox', 'sh']);
  // An OCI layout on disk, as a directory and as a tar.
  t.same(await loadImages(target, join(source, 'images')), ['example.com/tools/bb:2']);
  execFileSync('tar', ['-c', '-f', join(source, 'layout.tar'), '-C', join(source, 'images'), 'oci-layout', 'index.json', 'blobs']);
  await removeImage(target, 'example.com/tools/bb:2');
  t.same(await loadImages(target, join(source, 'layout.tar')), ['example.com/tools/bb:2']);
  const stored = await imageStoreOf(target).resolve('example.com/tools/bb:2');
  t.equal(stored?.digest, built.digest, 'digests are kept');
  // A docker save archive: manifest.json, the config and one layer.tar per layer.
  const save = join(source, 'save');
  mkdirSync(join(save, 'layer1'), { recursive: true });
  copyFileSync(imageStoreOf(source).blobPath(stored!.layers[0]!.digest), join(save, 'layer1', 'layer.tar'));
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [] } });
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  writeFileSync(join(save, configName), config);
  writeFileSync(join(save, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: ['python:3.7'], Layers: ['layer1/layer.tar'] }]));
  execFileSync('tar', ['-c', '-f', join(source, 'save.tar'), '-C', save, '.']);
  t.same(await loadImages(target, join(source, 'save.tar')), ['docker.io/library/python:3.7']);
  const rows = await listImages(target);
  t.same(rows[0], ['IMAGE', 'TAG', 'IMAGE ID', 'SIZE']);
  t.same(rows.slice(1).map((r) => `${r[0]}:${r[1]}`).sort(), ['example.com/tools/bb:2', 'python:3.7']);
  await t.rejects(removeImage(target, 'nope'), /image "nope" not found/);
  await t.rejects(loadImages(target, join(source, 'missing.tar')), /no such file/);
});

function imageStoreOf(dataDir: string): ImageStore {
  return new ImageStore(join(dataDir, 'images'));
}
