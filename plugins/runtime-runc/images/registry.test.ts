// Pulls from an OCI distribution registry: a small registry served here from a local image
// store (with an anonymous bearer-token challenge, as Docker Hub does), and the runtime's
// ensureImage using it for images that are neither local nor in the catalogue.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ImageError } from '../../node-agent/runtime.js';
import { createRuncRuntime } from '../index.js';
import { setup } from '../setup.js';
import { buildImageFromHost } from './build.js';
import { parseImageReference } from './reference.js';
import { pullImage } from './registry.js';
import { ImageStore } from './store.js';

t.test('pull from a registry', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-registry-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const source = new ImageStore(join(dir, 'registry'));
  await source.init();
  let tokenRequests = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/token') {
      tokenRequests++;
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ token: 'anonymous-token' }));
    }
    if (req.headers.authorization !== 'Bearer anonymous-token') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${req.headers.host}/token",service="test",scope="repository:tools/bb:pull"` });
      return res.end();
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (!m) return res.writeHead(404).end();
    const [, path, kind, target] = m as unknown as [string, string, string, string];
    void (async () => {
      let digest = target;
      if (kind === 'manifests' && !target.startsWith('sha256:')) {
        const image = await source.resolve(`${req.headers.host}/${path}:${target}`);
        if (!image) return res.writeHead(404).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN' }] }));
        digest = image.digest;
      }
      try {
        const body = readFileSync(source.blobPath(digest));
        res.writeHead(200, { 'content-type': kind === 'manifests' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const published = await buildImageFromHost(source, `${host}/tools/bb:1`, { binaries: ['/bin/busybox'], config: { Cmd: ['/bin/busybox', 'sh'] } });

  const target = new ImageStore(join(dir, 'node'));
  await target.init();
  await pullImage(target, parseImageReference(`${host}/tools/bb:1`));
  const pulled = await target.resolve(`${host}/tools/bb:1`);
  t.equal(pulled?.digest, published.digest, 'same manifest digest');
  t.same(pulled?.config.config.Cmd, ['/bin/busybox', 'sh']);
  t.ok(tokenRequests > 0, 'anonymous bearer token fetched');
  await t.rejects(pullImage(target, parseImageReference(`${host}/tools/bb:2`)), { name: 'ImageError', message: `failed to pull and unpack image "${host}/tools/bb:2": failed to resolve reference "${host}/tools/bb:2": ${host}/tools/bb:2: not found` });

  const runtime = createRuncRuntime(setup({ stateDir: join(dir, 'runtime'), imageDir: join(dir, 'runtime-images') }), dir);
  await runtime.start();
  t.teardown(() => runtime.stop());
  t.match(await runtime.ensureImage(`${host}/tools/bb:1`, 'IfNotPresent'), new RegExp(`^${host}/tools/bb@sha256:`));
  let error: unknown;
  try { await runtime.ensureImage('registry.example.com/team/app:1', 'IfNotPresent'); } catch (e) { error = e; }
  t.ok(error instanceof ImageError && error.reason === 'ErrImagePull', 'ErrImagePull for a registry this node does not pull from');
  t.match((error as Error).message, /registry\.example\.com is not among the registries this node pulls from/);
  error = undefined;
  try { await runtime.ensureImage(`${host}/tools/other:1`, 'IfNotPresent'); } catch (e) { error = e; }
  t.match((error as Error).message, /not found$/, 'the registry\'s reason');
  error = undefined;
  try { await runtime.ensureImage(`${host}/tools/other:1`, 'Never'); } catch (e) { error = e; }
  t.equal((error as ImageError).reason, 'ErrImageNeverPull');
});
