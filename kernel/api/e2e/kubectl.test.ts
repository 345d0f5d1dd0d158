// The API issue's end-to-end suite: the real `kite up` driven by the real kubectl through the
// seeds' workflows, and bad inputs that must get the right Status and change nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { KUBECTL, startTestKite } from '../../testing/kite.js';

const pod = (name: string, labels: Record<string, string>) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: ${JSON.stringify(labels)}
spec:
  containers:
  - name: nginx
    image: nginx
    ports:
    - containerPort: 80
`;

t.test('kubectl against kite up', async (t) => {
  const kite = await startTestKite(t);
  const dir = mkdtempSync(join(tmpdir(), 'kite-manifests-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const k = kite.kubectl;

  await t.test('health, version, discovery, explain, auth', async (t) => {
    t.equal((await kite.request('/readyz', { token: null })).body, 'ok');
    const v = await k(['version', '-o', 'json']);
    t.equal(v.code, 0, v.stderr);
    t.match(JSON.parse(v.stdout).serverVersion, { major: '1', minor: '32' });
    const ar = await k(['api-resources']);
    t.match(ar.stdout, /deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/);
    t.match(ar.stdout, /pods\s+po\s+v1\s+true\s+Pod/);
    const ex = await k(['explain', 'pod.spec']);
    t.equal(ex.code, 0, ex.stderr);
    t.match(ex.stdout, /containers\s+<\[\]Container> -required-/);
    t.equal((await k(['auth', 'can-i', 'create', 'pods'])).stdout.trim(), 'yes');
    const ns = await k(['get', 'namespaces']);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) t.match(ns.stdout, new RegExp(`${n}\\s+Active`));
  });

  await t.test('apply, get, labels and output formats', async (t) => {
    writeFileSync(join(dir, 'mynginx.yaml'), pod('mynginx', { run: 'mynginx' }));
    t.match((await k(['apply', '-f', join(dir, 'mynginx.yaml')])).stdout, 'pod/mynginx created');
    t.match((await k(['apply', '-f', join(dir, 'mynginx.yaml')])).stdout, 'pod/mynginx unchanged');
    writeFileSync(join(dir, 'mynginx.yaml'), pod('mynginx', { run: 'mynginx', tier: 'web' }));
    t.match((await k(['apply', '-f', join(dir, 'mynginx.yaml')])).stdout, 'pod/mynginx configured');
    const get = await k(['get', 'pod']);
    // The scheduler and the node agent run: the pod may be anywhere between Pending and Running.
    t.match(get.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nmynginx\s+[01]\/1\s+(Pending|ContainerCreating|Running)\s+0\s+\d+s/);
    t.match((await k(['get', 'pod', '-o', 'wide'])).stdout, /IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/);
    const yaml = await k(['get', 'pod', 'mynginx', '-o', 'yaml']);
    t.match(yaml.stdout, /restartPolicy: Always/);
    t.match(yaml.stdout, /kubectl.kubernetes.io\/last-applied-configuration/);
    t.equal(JSON.parse((await k(['get', 'pod', 'mynginx', '-o', 'json'])).stdout).spec.containers[0].image, 'nginx');
    t.equal((await k(['get', 'pods', '--all-namespaces', '-o=jsonpath={range .items[*]}{.metadata.name}:{.spec.containers[0].image}{end}'])).stdout, 'mynginx:nginx');
    t.match((await k(['label', 'pod', 'mynginx', 'hello=world'])).stdout, 'pod/mynginx labeled');
    t.match((await k(['get', 'pod', 'mynginx', '--show-labels'])).stdout, /hello=world,run=mynginx,tier=web/);
    t.match((await k(['get', 'pod', '-l', 'run'])).stdout, /mynginx/);
    t.match((await k(['get', 'pod', '-l', 'run=mynginx'])).stdout, /mynginx/);
    t.match((await k(['get', 'pod', '-l', 'tier in (web,db)'])).stdout, /mynginx/);
    t.match((await k(['get', 'pod', '-l', 'run=other'])).stderr, /No resources found in default namespace/);
    t.match((await k(['get', 'pods', '-A'])).stdout, /NAMESPACE\s+NAME\s+READY[\s\S]*default\s+mynginx/);
    t.match((await k(['get', 'pod', '-n', 'kube-system'])).stderr, /No resources found in kube-system namespace/);
  });

  await t.test('namespaces, configmaps, secrets, multi-document apply, diff, scale, edit, delete', async (t) => {
    t.match((await k(['create', 'namespace', 'team1'])).stdout, 'namespace/team1 created');
    t.match((await k(['create', 'configmap', 'cfg', '--from-literal=a=b', '-n', 'team1'])).stdout, 'configmap/cfg created');
    t.match((await k(['create', 'secret', 'generic', 'sec', '--from-literal=p=q', '-n', 'team1'])).stdout, 'secret/sec created');
    t.match((await k(['get', 'configmap', 'cfg', '-n', 'team1', '-o', 'jsonpath={.data.a}'])).stdout, 'b');
    const multi = `${pod('a', { app: 'x' })}---\n${pod('b', { app: 'x' })}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: busybox
`;
    writeFileSync(join(dir, 'multi.yaml'), multi);
    const ap = await k(['apply', '-f', join(dir, 'multi.yaml')]);
    t.equal(ap.code, 0, ap.stderr);
    t.match(ap.stdout, /pod\/a created\npod\/b created\ndeployment.apps\/web created/);
    t.equal((await k(['diff', '-f', join(dir, 'multi.yaml')])).code, 0, 'no differences');
    writeFileSync(join(dir, 'multi.yaml'), multi.replace('replicas: 2', 'replicas: 3'));
    const diff = await k(['diff', '-f', join(dir, 'multi.yaml')]);
    t.equal(diff.code, 1);
    t.match(diff.stdout, /-  replicas: 2\n\+  replicas: 3/);
    t.match((await k(['scale', 'deployment', 'web', '--replicas=4'])).stdout, 'deployment.apps/web scaled');
    t.equal((await k(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'])).stdout, '4');
    const edit = await k(['edit', 'deployment', 'web'], { env: { EDITOR: 'cat', KUBE_EDITOR: 'cat' } });
    t.match(edit.stdout + edit.stderr, /Edit cancelled, no changes made/);
    const desc = await k(['describe', 'deployment', 'web']);
    t.match(desc.stdout, /Replicas:\s+4 desired/);
    t.match((await k(['describe', 'pod', 'mynginx'])).stdout, /Name:\s+mynginx[\s\S]*Containers:/);
    t.equal((await k(['get', 'events', '-A'])).code, 0);
    t.match((await k(['delete', '-f', join(dir, 'multi.yaml')])).stdout, /pod "a" deleted\npod "b" deleted\ndeployment.apps "web" deleted/);
    t.match((await k(['delete', 'pod', '--all'])).stdout, /pod "mynginx" deleted/);
  });

  await t.test('nodes, services, watch', async (t) => {
    const nodes = await k(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}']);
    t.equal(nodes.code, 0, nodes.stderr);
    const node = nodes.stdout;
    t.ok(node, 'the local node agent registered a node');
    t.match((await k(['label', 'node', node, 'disktype=ssd'])).stdout, `node/${node} labeled`);
    t.match((await k(['get', 'node', '--show-labels'])).stdout, /disktype=ssd/);
    t.match((await k(['describe', 'node', node])).stdout, /Name:\s+\S+[\s\S]*Conditions:[\s\S]*Ready/);
    t.match((await k(['create', 'service', 'clusterip', 'svc1', '--tcp=80:80'])).stdout, 'service/svc1 created');
    t.match((await k(['describe', 'service', 'svc1'])).stdout, /Name:\s+svc1[\s\S]*Port:\s+80-80\s+80\/TCP/);
    const { spawn } = await import('node:child_process');
    const w = spawn(KUBECTL, ['--kubeconfig', kite.kubeconfig, 'get', 'configmaps', '-w'], { env: { ...process.env, HOME: kite.dataDir } });
    let out = '';
    w.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    await new Promise((r) => setTimeout(r, 1500));
    await k(['create', 'configmap', 'watched', '--from-literal=a=b']);
    for (let i = 0; i < 50 && !out.includes('watched'); i++) await new Promise((r) => setTimeout(r, 100));
    w.kill();
    t.match(out, /NAME\s+DATA\s+AGE[\s\S]*watched\s+1\s+\d+s/);
  });

  await t.test('bad inputs get the right Status and change nothing', async (t) => {
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [broken\n');
    const bad = await k(['apply', '-f', join(dir, 'bad.yaml')]);
    t.not(bad.code, 0);
    t.match(bad.stderr, /error/i);
    writeFileSync(join(dir, 'kind.yaml'), 'apiVersion: v1\nkind: Pud\nmetadata:\n  name: x\n');
    t.match((await k(['apply', '-f', join(dir, 'kind.yaml')])).stderr, /no matches for kind "Pud" in version "v1"/);
    writeFileSync(join(dir, 'name.yaml'), pod('My_Pod', {}));
    const inv = await k(['apply', '-f', join(dir, 'name.yaml')]);
    t.match(inv.stderr, /is invalid: metadata.name: Invalid value: "My_Pod": a lowercase RFC 1123 subdomain/);
    writeFileSync(join(dir, 'typo.yaml'), pod('typo', {}).replace('image: nginx', 'imagee: nginx'));
    t.match((await k(['apply', '-f', join(dir, 'typo.yaml')])).stderr, /unknown field "spec.containers\[0\].imagee"/);
    t.match((await k(['get', 'pod', 'nothere'])).stderr, 'Error from server (NotFound): pods "nothere" not found');
    // A stale resourceVersion: replace with an old copy.
    await k(['create', 'configmap', 'stale', '--from-literal=v=1']);
    const old = (await k(['get', 'configmap', 'stale', '-o', 'json'])).stdout;
    await k(['patch', 'configmap', 'stale', '-p', '{"data":{"v":"2"}}']);
    const rep = await k(['replace', '-f', '-'], { stdin: old });
    t.match(rep.stderr, /Operation cannot be fulfilled on configmaps "stale": the object has been modified/);
    t.equal((await k(['get', 'configmap', 'stale', '-o', 'jsonpath={.data.v}'])).stdout, '2');
    const big = await kite.request('/api/v1/namespaces/default/configmaps', { method: 'POST', body: Buffer.alloc(4 * 1024 * 1024, 'a'), headers: { 'content-type': 'application/json' } });
    t.equal(big.status, 413);
    t.equal((await kite.request('/api/v1/pods', { token: null })).status, 401);
    t.equal((await kite.request('/api/v1/pods', { token: 'wrong' })).status, 401);
    t.match((await k(['get', 'pods'], { env: {} })).code, 0);
    t.equal((await k(['get', 'pod', 'My_Pod'])).code, 1);
    t.equal((await k(['get', 'pod', 'typo'])).code, 1, 'the rejected objects were not stored');
  });

  await t.test('metrics, plugins, restart keeps state', async (t) => {
    const m = await kite.request('/metrics');
    t.match(m.body, /apiserver_request_total\{/);
    t.match(m.body, /kite_store_operations_total\{/);
    t.match(m.body, /kite_plugin_up\{plugin="replicaset-controller"\} 1/);
    t.equal(await kite.stop(), 0, 'SIGTERM stops cleanly');
    const again = await kite.restart();
    t.equal((await again.kubectl(['get', 'configmap', 'stale', '-o', 'jsonpath={.data.v}'])).stdout, '2', 'state survived the restart');
  });
});
