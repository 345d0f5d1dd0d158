// nodes/<node>/proxy, pods/<pod>/proxy and services/<svc>/proxy with the real kubectl: the kubelet
// endpoints of a runc node and of hollow nodes sharing a process; busybox httpd in a loopback-only
// pod reached through its network namespace (GET, POST through CGI, 5 MiB intact, named and default
// ports, redirects, `kubectl proxy`, downloads cut short), HTTPS to openssl s_server in a pod; the
// errors (unknown node 404, agent gone 503, pod not running 503, nothing listening 503); then the
// real `kite up`, where the agent runs in its own process and the pod has an IP and a Service.
import 'reflect-metadata';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { KUBECTL, startTestKite } from '../../kernel/testing/kite.js';
import { clientHeaders, pickEndpoint, podPort, proxiedPath, splitSchemeNamePort } from '../../kernel/api/streams/proxy.js';
import { createLogger } from '../../kernel/log.js';
import { startKubectlNode } from './kubectl-node.testkit.js';
import { metricsForNode } from './kubelet-endpoints.js';
import { startNodeAgentProcess } from './process.js';
import { runcUnavailable } from './testkit.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fetchBytes(port: number, path: string, opts: { method?: string; body?: string } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = opts.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(opts.body)) };
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Starts a download and cuts the connection after its first bytes. */
function abandonDownload(port: number, path: string): Promise<void> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.once('data', () => { req.destroy(); resolve(); });
      res.once('end', () => resolve());
    });
    req.on('error', () => resolve());
    req.end();
  });
}

/** busybox httpd on 8080 serving /www: an index, 5 MiB of random bytes and a CGI echoing the POST body. */
const WEB_SCRIPT = [
  'mkdir -p /www/cgi-bin /www/dir',
  'echo in-dir > /www/dir/index.html',
  'echo hello-from-web > /www/index.html',
  'head -c 5242880 /dev/urandom > /www/big',
  `printf '#!/bin/sh\\necho "Content-Type: text/plain"\\necho\\necho "method=$REQUEST_METHOD query=$QUERY_STRING"\\ncat\\n' > /www/cgi-bin/echo`,
  'chmod +x /www/cgi-bin/echo',
  'exec httpd -f -p 8080 -h /www',
].join(' && ');

const webPod = (name: string, nodeName: string) => JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: name } },
  spec: {
    nodeName,
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'web', image: 'busybox', command: ['sh', '-c', WEB_SCRIPT], ports: [{ name: 'http', containerPort: 8080 }] }],
  },
});

t.test('metricsForNode keeps the node\'s own and unlabelled series', async (t) => {
  const text = '# HELP a x\n# TYPE a gauge\na{node="n1"} 1\na{node="n2"} 2\nb{x="1",node="n2"} 3\nprocess_cpu 4\nc{nodes="n2"} 5\n';
  t.equal(metricsForNode(text, 'n1'), '# HELP a x\n# TYPE a gauge\na{node="n1"} 1\nprocess_cpu 4\nc{nodes="n2"} 5\n');
});

t.test('proxy ids, paths and redirects as upstream splits and rewrites them', async (t) => {
  t.same(splitSchemeNamePort('web'), { scheme: '', name: 'web', port: '' });
  t.same(splitSchemeNamePort('web:8080'), { scheme: '', name: 'web', port: '8080' });
  t.same(splitSchemeNamePort('https:web:8443'), { scheme: 'https', name: 'web', port: '8443' });
  t.equal(splitSchemeNamePort('ftp:web:21'), undefined, 'only http and https');
  t.equal(splitSchemeNamePort('a:b:c:d'), undefined);
  t.same(proxiedPath('/api/v1/namespaces/d/pods/web:80/proxy/a%20b/c?x=1&y=2', 'pods'), { prefix: '/api/v1/namespaces/d/pods/web:80/proxy', path: '/a%20b/c?x=1&y=2' });
  t.same(proxiedPath('/api/v1/nodes/n1/proxy', 'nodes'), { prefix: '/api/v1/nodes/n1/proxy', path: '/' });
  t.same(proxiedPath('/api/v1/nodes/proxy/proxy/metrics', 'nodes'), { prefix: '/api/v1/nodes/proxy/proxy', path: '/metrics' }, 'a node named proxy');
  const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9090 }] }] } };
  t.equal(podPort(pod, ''), 8080, 'first container port');
  t.equal(podPort(pod, 'http'), 8080);
  t.equal(podPort(pod, '9'), 9);
  t.equal(podPort({ metadata: { name: 'q' } }, ''), 80, 'no ports: 80');
  t.throws(() => podPort(pod, 'grpc'), { code: 503, message: /no container port named "grpc"/ });
  t.throws(() => podPort(pod, '70000'), { code: 400 });
  t.same(clientHeaders({ location: '/login', connection: 'close', 'x-a': '1' }, '/api/v1/nodes/n/proxy'), { location: '/api/v1/nodes/n/proxy/login', 'x-a': '1' });
  t.same(clientHeaders({ location: 'https://example.com/' }, '/p'), { location: 'https://example.com/' }, 'other hosts stay');
  const svc = { metadata: { name: 's' }, spec: { ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }] } };
  const a = { ip: '10.0.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', name: 'a', namespace: 'd' } };
  const b = { ip: '10.0.0.2', nodeName: 'n2', targetRef: { kind: 'Pod', name: 'b', namespace: 'd' } };
  const eps = { metadata: { name: 's' }, subsets: [{ addresses: [a, b], ports: [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9100 }] }] };
  t.same(pickEndpoint(svc, eps, 'http', () => 0), { address: a, port: 8080 }, 'by port name');
  t.same(pickEndpoint(svc, eps, '9090', () => 0.9), { address: b, port: 9100 }, 'a port number is the declared port\'s name');
  t.throws(() => pickEndpoint(svc, eps, '81'), { code: 503, message: 'no service port 81 found for service "s"' });
  t.throws(() => pickEndpoint(svc, eps, 'grpc'), { code: 503, message: 'no endpoints available for service "s"' });
  t.throws(() => pickEndpoint(svc, { metadata: { name: 's' }, subsets: [] }, 'http'), { code: 503, message: 'no endpoints available for service "s"' });
});

t.test('node and pod proxy through the API server to a runc node and hollow nodes', { skip: runcUnavailable(), timeout: 280_000 }, async (t) => {
  const node = await startKubectlNode(t, 'proxy');
  const { kubectl, waitFor } = node;
  const raw = (path: string) => kubectl(['get', '--raw', path]);
  const children = new Set<ChildProcess>();
  t.teardown(() => { for (const c of children) c.kill('SIGKILL'); });

  await t.test('the node agent\'s kubelet endpoints', async (t) => {
    t.equal((await raw('/api/v1/nodes/w1/proxy/healthz')).stdout, 'ok', '/healthz');
    t.equal((await raw('/api/v1/nodes/w1:10250/proxy/healthz')).stdout, 'ok', 'a kubelet port in the node id changes nothing');
    const metrics = await raw('/api/v1/nodes/w1/proxy/metrics');
    t.equal(metrics.code, 0, metrics.stderr);
    t.match(metrics.stdout, /# TYPE kubelet_running_pods gauge/);
    t.match(metrics.stdout, /kubelet_running_containers\{node="w1",container_state="running"\} \d+/);
    t.match(metrics.stdout, /# TYPE kubelet_pod_start_duration_seconds histogram/);
    const unknown = await raw('/api/v1/nodes/w1/proxy/no/such/path');
    t.not(unknown.code, 0, 'an unknown kubelet path fails');
    t.match(unknown.stderr, /NotFound/, 'as a 404');
    const discovery = JSON.parse((await raw('/api/v1')).stdout) as { resources: Array<{ name: string; verbs: string[] }> };
    for (const name of ['nodes/proxy', 'pods/proxy']) {
      t.same(discovery.resources.find((r) => r.name === name)?.verbs, ['create', 'delete', 'get', 'patch', 'update'], `discovery lists ${name}`);
    }
    const nope = await raw('/api/v1/nodes/nope/proxy/healthz');
    t.not(nope.code, 0);
    t.match(nope.stderr, /Error from server \(NotFound\): nodes "nope" not found/, 'unknown node: 404 Status');
  });

  t.equal((await kubectl(['apply', '-f', '-'], webPod('web', 'w1'))).code, 0, 'web pod applied');
  await waitFor(['get', 'pod', 'web'], /web\s+1\/1\s+Running/, 'web running');
  const sum = await waitFor(['exec', 'web', '--', 'sha256sum', '/www/big'], /^[0-9a-f]{64}/, 'checksum of the big file');
  const expected = sum.stdout.slice(0, 64);
  // httpd starts right after the file is written; wait until it answers.
  await waitFor(['get', '--raw', '/api/v1/namespaces/default/pods/web:8080/proxy/'], /hello-from-web/, 'httpd answers');

  await t.test('pods/<pod>/proxy reaches busybox httpd in the pod', async (t) => {
    t.equal((await raw('/api/v1/namespaces/default/pods/web:8080/proxy/')).stdout, 'hello-from-web\n', 'explicit port');
    t.equal((await raw('/api/v1/namespaces/default/pods/web:http/proxy/index.html')).stdout, 'hello-from-web\n', 'named container port');
    t.equal((await raw('/api/v1/namespaces/default/pods/web/proxy/')).stdout, 'hello-from-web\n', 'first container port by default');
    t.equal((await raw('/api/v1/namespaces/default/pods/http:web:8080/proxy/')).stdout, 'hello-from-web\n', 'scheme:name:port');
    const dir = mkdtempSync(join(tmpdir(), 'kite-proxy-body-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'body'), 'posted through the API server\n');
    const posted = await kubectl(['create', '--raw', '/api/v1/namespaces/default/pods/web:8080/proxy/cgi-bin/echo?x=1', '-f', join(dir, 'body')]);
    t.equal(posted.code, 0, posted.stderr);
    // kubectl streams the file with chunked encoding, which busybox's CGI hands on undecoded.
    t.match(posted.stdout, /^method=POST query=x=1\n[\s\S]*posted through the API server\n/, 'method, query and body reach the pod');
  });

  await t.test('kubectl proxy reaches pods and nodes through the API server', async (t) => {
    const child = spawn(KUBECTL, [...node.kubectlBase, 'proxy', '--port=0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    for (let i = 0; i < 300 && !/Starting to serve on 127\.0\.0\.1:(\d+)/.test(out); i++) await sleep(100);
    const port = Number(/Starting to serve on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    t.ok(port, `kubectl proxy started: ${out}`);
    const index = await fetchBytes(port, '/api/v1/namespaces/default/pods/web:8080/proxy/index.html');
    t.equal(index.status, 200);
    t.equal(index.body.toString(), 'hello-from-web\n');
    const big = await fetchBytes(port, '/api/v1/namespaces/default/pods/web:8080/proxy/big');
    t.equal(big.body.length, 5 * 1024 * 1024, '5 MiB arrive');
    t.equal(createHash('sha256').update(big.body).digest('hex'), expected, 'intact');
    for (let i = 0; i < 5; i++) await abandonDownload(port, '/api/v1/namespaces/default/pods/web:8080/proxy/big');
    const again = await fetchBytes(port, '/api/v1/namespaces/default/pods/web:8080/proxy/big');
    t.equal(createHash('sha256').update(again.body).digest('hex'), expected, 'downloads cut short leave the path working');
    const posted = await fetchBytes(port, '/api/v1/namespaces/default/pods/web:8080/proxy/cgi-bin/echo?y=2', { method: 'POST', body: 'a sized body' });
    t.equal(posted.body.toString(), 'method=POST query=y=2\na sized body', 'a POST with Content-Length arrives as sent');
    const redirect = await fetchBytes(port, '/api/v1/namespaces/default/pods/web:8080/proxy/dir');
    t.equal(redirect.headers.location, '/api/v1/namespaces/default/pods/web:8080/proxy/dir/', 'a redirect stays under the proxy path');
    t.equal((await fetchBytes(port, String(redirect.headers.location))).body.toString(), 'in-dir\n');
    const missing = await fetchBytes(port, '/api/v1/namespaces/default/pods/web:8080/proxy/missing.html');
    t.equal(missing.status, 404, 'the pod\'s own 404 comes back as it is');
    const metrics = (await fetchBytes(port, '/api/v1/nodes/w1/proxy/metrics')).body.toString();
    t.match(metrics, /kubelet_running_pods\{node="w1"\} 1\n/, 'the running pod is counted');
    t.match(metrics, /kubelet_pod_start_duration_seconds_count\{node="w1"\} 1\n/, 'its start is observed');
    const pods = await fetchBytes(port, '/api/v1/nodes/w1/proxy/pods');
    t.equal(pods.status, 200);
    const list = JSON.parse(pods.body.toString()) as { kind: string; items: Array<{ metadata: { name: string }; status: { phase: string } }> };
    t.equal(list.kind, 'PodList');
    t.same(list.items.map((p) => [p.metadata.name, p.status.phase]), [['web', 'Running']], '/pods lists the running pod');
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    children.delete(child);
  });

  await t.test('pods that cannot be reached: 503', async (t) => {
    const refused = await raw('/api/v1/namespaces/default/pods/web:8081/proxy/');
    t.not(refused.code, 0);
    t.match(refused.stderr, /ServiceUnavailable/);
    t.match(refused.stderr, /error trying to reach service: .*connection refused/, 'nothing listens on the port');
    t.equal((await kubectl(['apply', '-f', '-'], webPod('stranded', 'ghost'))).code, 0, 'a pod bound to a node without agent');
    const pending = await raw('/api/v1/namespaces/default/pods/stranded/proxy/');
    t.match(pending.stderr, /Error from server \(ServiceUnavailable\): error trying to reach service: pod stranded is not running \(phase Pending\)/);
    const gone = await raw('/api/v1/namespaces/default/pods/absent/proxy/');
    t.match(gone.stderr, /Error from server \(NotFound\): pods "absent" not found/);
    await kubectl(['delete', 'pod', 'stranded', '--wait=false']);
  });

  await t.test('https:<pod>:<port> speaks TLS to the pod without verifying its certificate', async (t) => {
    // busybox has no TLS server: openssl s_server runs in the pod's network namespace instead.
    const marker = `9${process.pid}`;
    const pod = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tls' }, spec: { nodeName: 'w1', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', marker] }] } });
    t.equal((await kubectl(['apply', '-f', '-'], pod)).code, 0);
    await waitFor(['get', 'pod', 'tls'], /tls\s+1\/1\s+Running/, 'tls pod running');
    const pid = execFileSync('pgrep', ['-x', '-f', `sleep ${marker}`]).toString().trim().split('\n')[0];
    const dir = mkdtempSync(join(tmpdir(), 'kite-proxy-tls-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=tls', '-days', '1'], { stdio: 'ignore' });
    const server = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, 'openssl', 's_server', '-accept', '8443', '-www', '-quiet', '-cert', join(dir, 'cert.pem'), '-key', join(dir, 'key.pem')], { stdio: 'ignore' });
    children.add(server);
    t.teardown(() => { server.kill('SIGKILL'); children.delete(server); });
    let page = '';
    for (let i = 0; i < 100 && !/s_server/.test(page); i++) {
      page = (await raw('/api/v1/namespaces/default/pods/https:tls:8443/proxy/')).stdout;
      if (!/s_server/.test(page)) await sleep(200);
    }
    t.match(page, /Ciphers supported in s_server binary/, 'the TLS server\'s status page comes back');
    const plain = await raw('/api/v1/namespaces/default/pods/tls:8443/proxy/');
    t.not(plain.code, 0, 'plain HTTP to the TLS port fails');
    server.kill('SIGKILL');
    await kubectl(['delete', 'pod', 'tls', '--grace-period=1', '--wait=false']);
  });

  await t.test('hollow nodes in one process answer each for itself; an agent gone is a 503 naming the node', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kite-proxy-hollow-'));
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
    const hollow = await startNodeAgentProcess({ natsServers: [node.natsUrl], dataDir, hollow: true, count: 2, nodeName: 'px', logger: createLogger({}, 'error') });
    let stopped = false;
    t.teardown(() => (stopped ? undefined : hollow.stop()));
    const pod = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sim' }, spec: { nodeName: 'px-1', containers: [{ name: 'c', image: 'whatever:1' }] } });
    t.equal((await kubectl(['apply', '-f', '-'], pod)).code, 0);
    await waitFor(['get', 'pod', 'sim'], /sim\s+1\/1\s+Running/, 'hollow pod running');
    const m0 = await raw('/api/v1/nodes/px-0/proxy/metrics');
    t.match(m0.stdout, /kubelet_running_pods\{node="px-0"\} 0/);
    t.notMatch(m0.stdout, /node="px-1"/, 'no series of the other hollow node');
    t.match(m0.stdout, /process_cpu_seconds_total/, 'the process\'s default metrics');
    t.match((await raw('/api/v1/nodes/px-1/proxy/metrics')).stdout, /kubelet_running_pods\{node="px-1"\} 1/);
    const pods = JSON.parse((await raw('/api/v1/nodes/px-1/proxy/pods')).stdout) as { items: Array<{ metadata: { name: string } }> };
    t.same(pods.items.map((p) => p.metadata.name), ['sim']);
    const noNetwork = await raw('/api/v1/namespaces/default/pods/sim/proxy/');
    t.match(noNetwork.stderr, /ServiceUnavailable.*pod sim has no network on node px-1/, 'hollow pods have nothing to connect to');
    await kubectl(['delete', 'pod', 'sim', '--grace-period=0', '--force']);
    await hollow.stop();
    stopped = true;
    const gone = await raw('/api/v1/nodes/px-0/proxy/healthz');
    t.not(gone.code, 0);
    t.match(gone.stderr, /Error from server \(ServiceUnavailable\): error trying to reach service: the node agent of node "px-0" does not answer/);
  });
});

t.test('kite up: the node agent in its own process, a pod with its own IP', { skip: runcUnavailable(), timeout: 200_000 }, async (t) => {
  const kite = await startTestKite(t);
  const raw = (path: string) => kite.kubectl(['get', '--raw', path]);
  let nodeName = '';
  for (let i = 0; i < 300 && !nodeName; i++) {
    nodeName = (await kite.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout.trim();
    if (!nodeName) await sleep(200);
  }
  t.ok(nodeName, 'the node registered');
  t.equal((await raw(`/api/v1/nodes/${nodeName}/proxy/healthz`)).stdout, 'ok');
  t.equal((await kite.kubectl(['apply', '-f', '-'], { stdin: webPod('web', nodeName) })).code, 0, 'web pod applied');
  let podIP = '';
  for (let i = 0; i < 600 && !podIP; i++) {
    const pod = await kite.kubectl(['get', 'pod', 'web', '-o', 'jsonpath={.status.phase} {.status.podIP}']);
    podIP = /^Running (\S+)/.exec(pod.stdout)?.[1] ?? '';
    if (!podIP) await sleep(200);
  }
  t.match(podIP, /^\d+\.\d+\.\d+\.\d+$/, 'the pod runs with an IP of its own');
  let page = '';
  for (let i = 0; i < 150 && page !== 'hello-from-web\n'; i++) {
    page = (await raw('/api/v1/namespaces/default/pods/web:8080/proxy/')).stdout;
    if (page !== 'hello-from-web\n') await sleep(200);
  }
  t.equal(page, 'hello-from-web\n', 'the agent reaches the pod at its IP');
  const refused = await raw('/api/v1/namespaces/default/pods/web:8081/proxy/');
  t.match(refused.stderr, new RegExp(`error trying to reach service: dial tcp ${podIP.replace(/\./g, '\\.')}:8081: connect: connection refused`), 'the dial error names the pod IP, as upstream');
  const svc = 'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec:\n  selector: { app: web }\n  ports: [{ port: 80, targetPort: 8080 }]\n';
  t.equal((await kite.kubectl(['apply', '-f', '-'], { stdin: svc })).code, 0, 'service applied');
  let viaService = '';
  for (let i = 0; i < 150 && viaService !== 'hello-from-web\n'; i++) {
    viaService = (await raw('/api/v1/namespaces/default/services/web/proxy/')).stdout;
    if (viaService !== 'hello-from-web\n') await sleep(200);
  }
  t.equal(viaService, 'hello-from-web\n', 'services/<svc>/proxy reaches a ready endpoint pod');
  t.equal((await raw('/api/v1/namespaces/default/services/web:80/proxy/index.html')).stdout, 'hello-from-web\n', 'by service port number');
  t.match((await raw('/api/v1/namespaces/default/services/web:81/proxy/')).stderr, /ServiceUnavailable\): no service port 81 found for service "web"/);
  t.match((await raw('/api/v1/namespaces/default/services/nosvc/proxy/')).stderr, /NotFound\): services "nosvc" not found/);
  const metrics = await raw(`/api/v1/nodes/${nodeName}/proxy/metrics`);
  t.match(metrics.stdout, new RegExp(`kubelet_running_pods\\{node="${nodeName}"\\} 1\\n`), 'kubelet metrics of the agent\'s process');
  t.match(metrics.stdout, /kubelet_pod_start_duration_seconds_count/);
  t.match(metrics.stdout, /process_cpu_seconds_total/, 'with its process metrics');
  const pods = JSON.parse((await raw(`/api/v1/nodes/${nodeName}/proxy/pods`)).stdout) as { items: Array<{ metadata: { name: string }; status: { podIP?: string } }> };
  t.same(pods.items.map((p) => [p.metadata.name, p.status.podIP]), [['web', podIP]]);
});
