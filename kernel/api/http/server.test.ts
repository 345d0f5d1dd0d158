// The API server's HTTP layer against the real kubectl and raw HTTPS requests: TLS + kubeconfig,
// authentication, body limit, path parsing, discovery (legacy and aggregated), OpenAPI, metrics.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { WebSocket, WebSocketServer } from 'ws';
import { createLogger } from '../../log.js';
import { ResourceRegistry } from '../../objects/registry.js';
import { errors } from '../../objects/status.js';
import type { ApiRequest, RestHandler } from '../types.js';
import { sendJson } from './respond.js';
import { startApiServer, type ApiServer } from './server.js';
import { ensurePki } from './tls.js';

const registry = new ResourceRegistry();
// Not (yet) in the built-in table: `kubectl auth whoami` and `auth can-i --list` need them.
for (const [group, resource, kind] of [['authentication.k8s.io', 'selfsubjectreviews', 'SelfSubjectReview'], ['authorization.k8s.io', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview']]) {
  registry.add({ group, version: 'v1', resource, kind, listKind: `${kind}List`, namespaced: false, singularName: '', verbs: ['create'] });
}
const dataDir = mkdtempSync(join(tmpdir(), 'kite-http-'));
const home = mkdtempSync(join(tmpdir(), 'kite-http-home-'));
t.teardown(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

const calls: ApiRequest[] = [];
const upgrades = new WebSocketServer({ noServer: true });
t.teardown(() => upgrades.close());

/** Echoes what the HTTP layer parsed; a tiny ConfigMap "store" so kubectl apply has something to talk to. */
const rest: RestHandler = async (req) => {
  calls.push(req);
  if (req.verb === 'connect' && req.raw.headers.upgrade) {
    upgrades.handleUpgrade(req.raw, req.raw.socket, Buffer.alloc(0), (ws) => ws.send(`exec ${req.name} ${req.query.getAll('command').join(' ')}`));
    return;
  }
  if (req.name === 'missing' || (req.resource.resource === 'configmaps' && req.verb === 'get')) throw errors.notFound(req.resource.resource, req.name ?? '');
  if (req.verb === 'list') {
    return sendJson(req.res, 200, { kind: req.resource.listKind, apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [] });
  }
  if (req.verb === 'create' && !req.subresource) return sendJson(req.res, 201, JSON.parse(req.body.toString()));
  const { verb, namespace, name, subresource, version } = req;
  sendJson(req.res, 200, { kind: 'Echo', verb, resource: req.resource.resource, version, namespace, name, subresource, bodyBytes: req.body.length, user: req.user });
};

let ready = false;
const metrics = new Registry();
const server: ApiServer = await startApiServer({
  dataDir,
  port: 0,
  registry,
  rest,
  metrics,
  logger: createLogger({ component: 'apiserver' }, 'error'),
  ready: () => ready,
  notReadyReason: () => 'store not connected',
});
t.teardown(() => server.close());

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): any;
}

function call(method: string, path: string, opts: { token?: string | null; body?: Buffer | Buffer[]; headers?: Record<string, string | number> } = {}): Promise<Reply> {
  const token = opts.token === undefined ? server.adminToken : opts.token;
  const headers: Record<string, string | number> = { ...opts.headers };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  // Node sends DELETE bodies only with a declared length; arrays of chunks go out chunked.
  if (Buffer.isBuffer(opts.body) && headers['Content-Length'] === undefined) headers['Content-Length'] = opts.body.length;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers, ca: server.caCertPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString()) });
      });
    });
    // The server may cut a refused upload short; the answer is what counts.
    req.on('error', reject);
    for (const chunk of [opts.body ?? []].flat()) req.write(chunk);
    req.end();
  });
}

interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(home, 'cache'), ...args],
      { env: { ...process.env, HOME: home, KUBECONFIG: '' }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

t.test('PKI, admin token and kubeconfig are made once and reused', async (t) => {
  const pki = join(dataDir, 'pki');
  t.match(server.adminToken, /^[0-9a-f]{64}$/);
  t.equal(statSync(join(pki, 'admin.token')).mode & 0o777, 0o600);
  t.equal(statSync(join(pki, 'apiserver.key')).mode & 0o777, 0o600);
  t.equal(statSync(server.kubeconfigPath).mode & 0o777, 0o600);
  const again = await ensurePki(dataDir);
  t.equal(again.adminToken, server.adminToken, 'token reused');
  t.equal(again.caCertPem, server.caCertPem, 'CA reused');
  const text = await new Promise<string>((resolve, reject) =>
    execFile('openssl', ['x509', '-in', again.certPath, '-noout', '-ext', 'subjectAltName'], (err, out) => (err ? reject(err) : resolve(out))),
  );
  for (const san of ['IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', 'DNS:localhost', `DNS:${hostname()}`]) t.match(text, san);
  const kubeconfig = readFileSync(server.kubeconfigPath, 'utf8');
  t.match(kubeconfig, `server: ${server.url}`);
  t.match(kubeconfig, `token: ${server.adminToken}`);
  t.match(kubeconfig, 'current-context: kite');
});

t.test('kubectl version, api-resources, auth can-i, get --raw', async (t) => {
  const version = await kubectl(['version', '-o', 'json']);
  t.equal(version.code, 0, version.stderr);
  const info = JSON.parse(version.stdout);
  t.equal(info.serverVersion.gitVersion, 'v1.32.0-kite');
  t.equal(info.serverVersion.minor, '32');
  t.equal(info.serverVersion.platform.split('/')[0], 'linux');

  const resources = await kubectl(['api-resources']);
  t.equal(resources.code, 0, resources.stderr);
  const lines = resources.stdout.trim().split('\n');
  t.match(lines[0], /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND/);
  t.equal(lines.length - 1, registry.all().length, 'one line per resource type, no subresources');
  t.ok(lines.some((l) => /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/.test(l)), 'deployments row');
  t.ok(lines.some((l) => /^pods\s+po\s+v1\s+true\s+Pod$/.test(l)), 'pods row');
  t.ok(lines.some((l) => /^nodes\s+no\s+v1\s+false\s+Node$/.test(l)), 'nodes row');

  const canI = await kubectl(['auth', 'can-i', 'create', 'pods']);
  t.equal(canI.stdout.trim(), 'yes', canI.stderr);

  const whoami = await kubectl(['auth', 'whoami', '-o', 'json']);
  t.equal(whoami.code, 0, whoami.stderr);
  t.same(JSON.parse(whoami.stdout).status.userInfo, { username: 'kite-admin', groups: ['system:masters', 'system:authenticated'] });
  const list = await kubectl(['auth', 'can-i', '--list']);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, /^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m, 'everything on every resource');

  const raw = await kubectl(['get', '--raw', '/api/v1']);
  t.equal(raw.code, 0, raw.stderr);
  const coreResources = JSON.parse(raw.stdout);
  t.equal(coreResources.kind, 'APIResourceList');
  t.ok(coreResources.resources.some((r: { name: string; kind: string }) => r.name === 'pods/exec' && r.kind === 'PodExecOptions'));
});

t.test('kubectl reads, errors and applies through the RestHandler', async (t) => {
  const none = await kubectl(['get', 'pods', '-n', 'kube-system']);
  t.equal(none.code, 0, none.stderr);
  t.match(none.stderr, 'No resources found in kube-system namespace.');
  const last = calls.at(-1)!;
  t.same([last.verb, last.namespace, last.resource.resource, last.query.get('limit')], ['list', 'kube-system', 'pods', '500']);

  const missing = await kubectl(['get', 'pod', 'missing']);
  t.not(missing.code, 0);
  t.match(missing.stderr, 'Error from server (NotFound): pods "missing" not found');

  const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n';
  const applied = await kubectl(['apply', '-f', '-'], manifest);
  t.equal(applied.code, 0, applied.stderr);
  t.match(applied.stdout, 'configmap/settings created');

  const denied = await kubectl(['--token', 'not-the-token', 'get', 'pods']);
  t.not(denied.code, 0);
  t.match(denied.stderr, 'error: You must be logged in to the server (Unauthorized)');
});

t.test("kubectl's protobuf bodies reach the RestHandler as JSON", async (t) => {
  const created = await kubectl(['create', 'deployment', 'web', '--image=nginx:1', '--replicas=0', '--port=80', '--', 'sleep', '30']);
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, 'deployment.apps/web created');
  const request = calls.at(-1)!;
  t.equal(request.headers['content-type'], 'application/json');
  t.notMatch(String(request.headers.accept), 'protobuf', 'protobuf is not offered to the RestHandler');
  t.same(JSON.parse(request.body.toString()), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1', command: ['sleep', '30'], ports: [{ containerPort: 80 }] }] },
      },
    },
  });

  const secret = await kubectl(['create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret']);
  t.equal(secret.code, 0, secret.stderr);
  t.same(JSON.parse(calls.at(-1)!.body.toString()).data, { password: Buffer.from('s3cret').toString('base64') });

  const service = await kubectl(['create', 'service', 'nodeport', 'front', '--tcp=80:http', '--node-port=30080']);
  t.equal(service.code, 0, service.stderr);
  t.same(JSON.parse(calls.at(-1)!.body.toString()).spec, {
    ports: [{ name: '80-http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 }],
    selector: { app: 'front' },
    type: 'NodePort',
  });
  const priority = await kubectl(['create', 'priorityclass', 'low', '--value=0', '--description=zero is kept']);
  t.equal(priority.code, 0, priority.stderr);
  t.match(JSON.parse(calls.at(-1)!.body.toString()), { kind: 'PriorityClass', value: 0, description: 'zero is kept' });

  // A kind without a schema, and a known kind with a field Kite cannot decode: refused, not dropped.
  const envelope = (apiVersion: string, kind: string, raw: Buffer) => {
    const field = (n: number, data: Buffer) => Buffer.concat([Buffer.from([(n << 3) | 2, data.length]), data]);
    const typeMeta = Buffer.concat([field(1, Buffer.from(apiVersion)), field(2, Buffer.from(kind))]);
    return Buffer.concat([Buffer.from('k8s\0', 'latin1'), field(1, typeMeta), field(2, raw)]);
  };
  const before = calls.length;
  const headers = { 'Content-Type': 'application/vnd.kubernetes.protobuf' };
  const widget = await call('POST', '/api/v1/namespaces/default/configmaps', { body: envelope('v1', 'Widget', Buffer.alloc(0)), headers });
  t.match(widget.json(), { code: 415, reason: 'UnsupportedMediaType', message: /kind Widget/ });
  const unknownField = Buffer.from([(9 << 3) | 2, 1, 0x41]);
  const odd = await call('POST', '/api/v1/namespaces/default/configmaps', { body: envelope('v1', 'ConfigMap', unknownField), headers });
  t.match(odd.json(), { code: 415, message: /field 9 of ConfigMap/ });
  t.equal(calls.length, before);
});

t.test('authentication and health endpoints', async (t) => {
  for (const token of [null, 'wrong', server.adminToken + '0']) {
    const res = await call('GET', '/api/v1/namespaces/default/pods', { token });
    t.equal(res.status, 401, `token ${token}`);
    t.match(res.json(), { kind: 'Status', reason: 'Unauthorized', code: 401, message: 'Unauthorized' });
  }
  t.equal((await call('GET', '/healthz', { token: null })).body.toString(), 'ok');
  t.equal((await call('GET', '/livez', { token: null })).status, 200);
  const notReady = await call('GET', '/readyz', { token: null });
  t.equal(notReady.status, 500);
  t.match(notReady.body.toString(), 'store not connected');
  ready = true;
  t.equal((await call('GET', '/readyz', { token: null })).body.toString(), 'ok');
  t.equal((await call('GET', '/version', { token: null })).status, 401, 'only health checks are anonymous');
});

t.test('bodies over 3 MiB get 413 and never reach the RestHandler', async (t) => {
  const before = calls.length;
  const big = Buffer.alloc(4 * 1024 * 1024, 0x61);
  const declared = await call('POST', '/api/v1/namespaces/default/configmaps', { body: big, headers: { 'Content-Type': 'application/json', 'Content-Length': big.length } });
  t.equal(declared.status, 413);
  t.match(declared.json(), { kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
  const chunks = Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024, 0x62));
  const streamed = await call('POST', '/api/v1/namespaces/default/configmaps', { body: chunks, headers: { 'Content-Type': 'application/json' } });
  t.equal(streamed.status, 413, 'chunked body without Content-Length');
  t.equal(calls.length, before);
  const fits = await call('PUT', '/api/v1/namespaces/default/configmaps/c', { body: Buffer.alloc(1024 * 1024, 0x20) });
  t.equal(fits.json().bodyBytes, 1024 * 1024, 'a 1 MiB body is passed on whole');
});

t.test('resource paths become ApiRequests', async (t) => {
  const cases: [string, string, Record<string, unknown>][] = [
    ['GET', '/api/v1/namespaces/default/secrets/c', { verb: 'get', resource: 'secrets', namespace: 'default', name: 'c' }],
    ['GET', '/api/v1/pods?watch=true', { verb: 'watch', resource: 'pods', namespace: undefined }],
    ['GET', '/api/v1/namespaces/ns1/pods?watch=1&resourceVersion=5', { verb: 'watch', namespace: 'ns1' }],
    ['GET', '/api/v1/watch/namespaces/default/pods/web', { verb: 'watch', name: 'web', namespace: 'default' }],
    ['GET', '/apis/apps/v1/watch/deployments', { verb: 'watch', resource: 'deployments' }],
    ['GET', '/api/v1/namespaces/default/pods/web/log', { verb: 'get', subresource: 'log', name: 'web' }],
    ['POST', '/api/v1/namespaces/default/pods/web/eviction', { verb: 'create', subresource: 'eviction' }],
    ['POST', '/api/v1/namespaces/default/pods/web/exec?command=ls', { verb: 'connect', subresource: 'exec' }],
    ['PUT', '/apis/apps/v1/namespaces/ns1/deployments/d/scale', { verb: 'update', resource: 'deployments', subresource: 'scale', version: 'v1' }],
    ['PATCH', '/apis/apps/v1/namespaces/ns1/deployments/d', { verb: 'patch', name: 'd' }],
    ['DELETE', '/api/v1/namespaces/default/configmaps', { verb: 'deletecollection', namespace: 'default' }],
    ['DELETE', '/api/v1/namespaces/default/configmaps/c', { verb: 'delete', name: 'c' }],
    ['GET', '/api/v1/nodes/n1', { verb: 'get', resource: 'nodes', name: 'n1', namespace: undefined }],
    ['GET', '/api/v1/namespaces/kube-system', { verb: 'get', resource: 'namespaces', name: 'kube-system', namespace: undefined }],
    ['PUT', '/api/v1/namespaces/gone/finalize', { verb: 'update', resource: 'namespaces', name: 'gone', subresource: 'finalize' }],
    ['PUT', '/api/v1/namespaces/x/status', { verb: 'update', resource: 'namespaces', name: 'x', subresource: 'status' }],
    ['GET', '/api/v1/namespaces/x/pods/', { verb: 'list', resource: 'pods', namespace: 'x' }],
  ];
  for (const [method, path, want] of cases) {
    const res = await call(method, path, { body: method === 'GET' ? undefined : Buffer.from('{}') });
    t.equal(res.status, 200, `${method} ${path}: ${res.body}`);
    const got = calls.at(-1)!;
    const { verb, namespace, name, subresource, version } = got;
    t.match({ verb, resource: got.resource.resource, namespace, name, subresource, version }, want, `${method} ${path}`);
  }
  t.same(calls.at(-1)!.user, { name: 'kite-admin', groups: ['system:masters', 'system:authenticated'] });

  const refused: [string, string, number, string][] = [
    ['GET', '/api/v1/widgets', 404, 'NotFound'],
    ['GET', '/api/v1/namespaces/default/nodes', 404, 'NotFound'],
    ['GET', '/apis/apps/v2/deployments', 404, 'NotFound'],
    ['GET', '/apis/nope.example.com/v1/things', 404, 'NotFound'],
    ['GET', '/api/v1/namespaces/default/pods/web/bogus', 404, 'NotFound'],
    ['GET', '/api/v1/pods/web', 404, 'NotFound'],
    ['DELETE', '/api/v1/namespaces/default/services', 405, 'MethodNotAllowed'],
    ['POST', '/api/v1/namespaces/default/pods/web', 405, 'MethodNotAllowed'],
    ['PUT', '/api/v1/namespaces/default/pods', 405, 'MethodNotAllowed'],
    ['POST', '/api/v1/pods', 405, 'MethodNotAllowed'],
    ['GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', 405, 'MethodNotAllowed'],
  ];
  const before = calls.length;
  for (const [method, path, code, reason] of refused) {
    const res = await call(method, path);
    t.equal(res.status, code, `${method} ${path}`);
    t.match(res.json(), { kind: 'Status', reason, code }, `${method} ${path}`);
  }
  t.equal(calls.length, before, 'refused requests never reach the RestHandler');
  t.equal((await call('GET', '/api/v1/widgets')).json().message, 'the server could not find the requested resource');
});

t.test('discovery: legacy and aggregated forms', async (t) => {
  const legacy = await call('GET', '/apis', { headers: { Accept: 'application/json' } });
  t.equal(legacy.headers['content-type'], 'application/json');
  t.equal(legacy.json().kind, 'APIGroupList');
  t.ok(legacy.json().groups.some((g: { name: string }) => g.name === 'apps'));
  t.notOk(legacy.json().groups.some((g: { name: string }) => g.name === ''), 'core group is only under /api');

  const kubectlAccept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
  const v2 = await call('GET', '/apis', { headers: { Accept: kubectlAccept } });
  t.equal(v2.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  const apps = v2.json().items.find((i: { metadata: { name: string } }) => i.metadata.name === 'apps');
  const deployments = apps.versions[0].resources.find((r: { resource: string }) => r.resource === 'deployments');
  t.match(deployments, { scope: 'Namespaced', singularResource: 'deployment', shortNames: ['deploy'], categories: ['all'], responseKind: { kind: 'Deployment' } });
  t.match(deployments.subresources.find((s: { subresource: string }) => s.subresource === 'scale'), { responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' } });

  const beta = await call('GET', '/api', { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json' } });
  t.equal(beta.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
  t.equal(beta.json().apiVersion, 'apidiscovery.k8s.io/v2beta1');
  t.same(beta.json().items.map((i: { metadata: { name: string } }) => i.metadata.name), ['']);

  t.equal((await call('GET', '/api')).json().kind, 'APIVersions', 'no Accept header: legacy');
  const group = await call('GET', '/apis/apps');
  t.match(group.json(), { kind: 'APIGroup', name: 'apps', preferredVersion: { groupVersion: 'apps/v1' } });
  const appsV1Reply = await call('GET', '/apis/apps/v1');
  const appsV1 = appsV1Reply.json();
  t.match(appsV1.resources.find((r: { name: string }) => r.name === 'deployments/scale'), { group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
  t.equal((await call('GET', '/apis/nope.example.com')).status, 404);
  const etag = String(appsV1Reply.headers.etag);
  t.equal((await call('GET', '/apis/apps/v1', { headers: { 'If-None-Match': etag } })).status, 304, 'unchanged discovery revalidates');
  t.equal((await call('GET', '/api/v1', { headers: { 'If-None-Match': etag } })).status, 200, 'another document has another ETag');
});

t.test('OpenAPI, metrics and WebSocket upgrades', async (t) => {
  const v2 = await call('GET', '/openapi/v2', { headers: { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
  t.same([v2.status, v2.body.length], [200, 0], 'no provider: empty 200');
  t.equal((await call('GET', '/openapi/v3')).status, 200);

  const doc = { openapi: '3.0.0', paths: { '/api/v1/pods': {} } };
  const withDocs = await startApiServer({
    dataDir, port: 0, registry, rest, metrics: new Registry(), logger: createLogger({}, 'error'), ready: () => true, writeKubeconfig: false,
    openapi: { v3: () => ({ 'api/v1': doc }), v2: () => ({ swagger: '2.0' }) },
    aggregatedDiscovery: false,
  });
  t.teardown(() => withDocs.close());
  const legacy = await kubectl(['--server', withDocs.url, '--cache-dir', join(home, 'legacy-cache'), 'api-resources', '-o', 'name']);
  t.equal(legacy.code, 0, legacy.stderr);
  t.equal(legacy.stdout.trim().split('\n').length, registry.all().length, 'kubectl lists every type from the legacy per-group documents');
  t.match(legacy.stdout, /^deployments\.apps$/m);
  t.equal(withDocs.adminToken, server.adminToken, 'second start reuses the PKI');
  const get = (path: string) => new Promise<Reply>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: withDocs.port, path, headers: { Authorization: `Bearer ${server.adminToken}` }, ca: server.caCertPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString()) });
      });
    });
    req.on('error', reject).end();
  });
  const index = (await get('/openapi/v3')).json();
  t.match(index.paths['api/v1'].serverRelativeURL, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
  const served = await get(index.paths['api/v1'].serverRelativeURL);
  t.same(served.json(), doc);
  t.equal(served.headers['cache-control'], 'public, immutable');
  t.equal((await get('/openapi/v3/apis/apps/v1')).status, 404);
  t.same((await get('/openapi/v2')).json(), { swagger: '2.0' });

  const text = (await call('GET', '/metrics')).body.toString();
  t.match(text, /apiserver_request_total\{verb="LIST",group="",version="v1",resource="pods",subresource="",scope="namespace",component="apiserver",code="200"\} [1-9]/);
  t.match(text, /apiserver_request_total\{verb="GET",.*code="401"\}/);
  t.match(text, /apiserver_request_duration_seconds_bucket\{le="0.005",verb="PUT",group="apps",version="v1",resource="deployments",subresource="scale",scope="resource"/);
  t.notMatch(text, /apiserver_request_duration_seconds_count\{verb="WATCH"/, 'watches are not timed');
  t.match(text, /apiserver_current_inflight_requests\{request_kind="readOnly"\} 1/, 'the /metrics request itself');

  const message = await new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/api/v1/namespaces/default/pods/web/exec?command=ls&command=-l`, 'v5.channel.k8s.io', {
      ca: server.caCertPem,
      headers: { Authorization: `Bearer ${server.adminToken}` },
    });
    ws.once('message', (data) => {
      resolve(data.toString());
      ws.close();
    });
    ws.once('error', reject);
  });
  t.equal(message, 'exec web ls -l');
  const refused = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/api/v1/namespaces/default/pods/web/exec`, { ca: server.caCertPem });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
  t.equal(refused, 401, 'an upgrade without a token is refused with a Status');
});

