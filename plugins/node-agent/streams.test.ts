// The real kubectl against an API server and a runc node agent for the streams and lifecycle
// paths beyond logs/exec: port-forward (WebSocket-tunnelled SPDY and plain SPDY), attach (with
// stdin) and force delete.
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import { KUBECTL } from '../../kernel/testing/kite.js';
import { startKubectlNode } from './kubectl-node.testkit.js';
import { runcUnavailable } from './testkit.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET over plain HTTP; resolves with status and body bytes. */
function fetchBytes(port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

t.test('kubectl port-forward, attach and force delete on a runc node', { skip: runcUnavailable(), timeout: 280_000 }, async (t) => {
  const node = await startKubectlNode(t, 'streams');
  const { dataDir, kubectl, waitFor } = node;
  const base = node.kubectlBase;
  const children = new Set<ChildProcess>();
  t.teardown(() => { for (const c of children) c.kill('SIGKILL'); });
  /** Starts `kubectl port-forward`, resolves with the local port it chose. */
  const portForward = async (target: string, remote: number, env?: Record<string, string>) => {
    const child = spawn(KUBECTL, [...base, 'port-forward', target, `:${remote}`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { children.delete(child); resolve(code); }));
    for (let i = 0; i < 300 && !/Forwarding from 127\.0\.0\.1:(\d+)/.test(out); i++) await sleep(100);
    const port = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    if (!port) throw new Error(`kubectl port-forward did not start: ${out}`);
    return { port, output: () => out, exited, stop: () => child.kill('SIGINT') };
  };

  t.equal((await node.runPod('files', { container: 'web', labels: { app: 'files' }, command: ['sh', '-c', 'mkdir /www && echo hello through the tunnel > /www/index.html && head -c 5242880 /dev/urandom > /www/big && exec httpd -f -p 80 -h /www'] })).code, 0, 'pod applied');
  const sum = await waitFor(['exec', 'files', '--', 'sha256sum', '/www/big'], /^[0-9a-f]{64}/, 'checksum of the big file');
  const expected = sum.stdout.slice(0, 64);

  for (const [transport, env] of [['WebSocket tunnel', {}], ['SPDY upgrade', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }]] as const) {
    await t.test(`port-forward over ${transport}`, async (t) => {
      const pf = await portForward('pod/files', 80, env);
      t.teardown(() => { if (process.env.KITE_DEBUG) console.error(pf.output()); });
      const [a, b] = await Promise.all([fetchBytes(pf.port, '/index.html'), fetchBytes(pf.port, '/index.html')]);
      t.equal(a.status, 200);
      t.equal(a.body.toString(), 'hello through the tunnel\n', 'first of two concurrent connections');
      t.equal(b.body.toString(), 'hello through the tunnel\n', 'second of two concurrent connections');
      const big = await fetchBytes(pf.port, '/big');
      t.equal(big.body.length, 5 * 1024 * 1024, '5 MiB arrive');
      t.equal(createHash('sha256').update(big.body).digest('hex'), expected, 'intact');
      pf.stop();
      await pf.exited;
    });
  }

  await t.test('port-forward to a service goes to one of its pods', async (t) => {
    const svc = 'apiVersion: v1\nkind: Service\nmetadata: { name: files }\nspec:\n  selector: { app: files }\n  ports: [{ port: 8080, targetPort: 80 }]\n';
    const created = await kubectl(['apply', '-f', '-'], svc);
    t.equal(created.code, 0, created.stderr);
    const pf = await portForward('svc/files', 8080);
    t.match(pf.output(), /-> 80/, 'kubectl resolves the service port to the pod\'s');
    t.equal((await fetchBytes(pf.port, '/index.html')).body.toString(), 'hello through the tunnel\n');
    pf.stop();
    await pf.exited;
  });

  await t.test('port-forward to a port nothing listens on', async (t) => {
    const pf = await portForward('pod/files', 81);
    await fetchBytes(pf.port, '/').catch(() => undefined);
    const code = await Promise.race([pf.exited, sleep(20_000).then(() => 'still running')]);
    t.match(pf.output(), /error forwarding port 81 to pod files/, 'kubectl prints the node\'s reason');
    t.match(pf.output(), /connection refused/);
    if (code === 'still running') pf.stop();
  });

  await t.test('kubectl attach receives the output and, with -i, reaches stdin', async (t) => {
    t.equal((await node.runPod('talker', { stdin: true, command: ['sh', '-c', 'i=0; while true; do echo tick-$i; i=$((i+1)); if read -t 1 line; then echo got:$line; fi; done'] })).code, 0, 'pod applied');
    const child = spawn(KUBECTL, [...base, 'attach', '-i', 'talker', '-c', 'main'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    for (let i = 0; i < 200 && !/tick-\d+/.test(out); i++) await sleep(100);
    t.match(out, /tick-\d+/, 'lines the container prints after attaching arrive');
    child.stdin.write('through-attach\n');
    for (let i = 0; i < 200 && !/got:through-attach/.test(out); i++) await sleep(100);
    t.match(out, /got:through-attach/, 'stdin reaches the process');
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    children.delete(child);
    await waitFor(['get', 'pod', 'talker'], /talker\s+1\/1\s+Running\s+0/, 'the container keeps running after the client leaves');
  });

  await t.test('kubectl run -it --rm attaches to a terminal', async (t) => {
    const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const command = [KUBECTL, ...base, 'run', '-it', '--rm', 'shell', '--image=busybox', '--restart=Never', '--overrides={"spec":{"nodeName":"w1"}}', '--', 'sh'].map(q).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    for (let i = 0; i < 300 && !/If you don't see a command prompt/.test(out); i++) await sleep(100);
    await sleep(500);
    child.stdin.write('echo answer-$((6*7)); tty\n');
    for (let i = 0; i < 200 && !/answer-42/.test(out); i++) await sleep(100);
    t.match(out, /answer-42/, 'the shell runs what is typed');
    for (let i = 0; i < 50 && !/\/dev\/pts\/\d+/.test(out); i++) await sleep(100);
    t.match(out, /\r\n\/dev\/pts\/\d+/, 'on a terminal');
    child.stdin.write('exit\n');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    children.delete(child);
    t.equal(code, 0, 'kubectl run exits when the shell does');
    t.match(out, /pod "shell" deleted/, '--rm deletes the pod');
  });

  await t.test('kubectl delete --force --grace-period=0 removes the pod at once', async (t) => {
    t.equal((await node.runPod('stubborn', { terminationGracePeriodSeconds: 120, command: ['sh', '-c', "trap '' TERM; while true; do sleep 1; done"] })).code, 0, 'pod applied');
    const uid = (await kubectl(['get', 'pod', 'stubborn', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    const containersDir = join(dataDir, 'node', 'w1', 'runtime', 'containers');
    t.ok(readdirSync(containersDir).some((d) => d.startsWith(uid.slice(0, 13))), 'its container exists on the node');
    const deleted = await kubectl(['delete', 'pod', 'stubborn', '--grace-period=0', '--force', '--wait=false']);
    t.equal(deleted.code, 0, deleted.stderr);
    t.match(deleted.stdout, /pod "stubborn" force deleted/);
    const gone = await kubectl(['get', 'pod', 'stubborn']);
    t.match(gone.stderr, /pods "stubborn" not found/, 'gone from the API at once');
    let left = true;
    for (let i = 0; i < 100 && left; i++) {
      left = readdirSync(containersDir).some((d) => d.startsWith(uid.slice(0, 13))) || existsSync(join(dataDir, 'node', 'w1', 'runtime', 'sandboxes', `s-${uid}.json`));
      if (left) await sleep(100);
    }
    t.notOk(left, 'its container and sandbox are gone from the node shortly after');
  });
});
