// The real kubectl against an API server whose pods/log and pods/exec handlers reach a node agent
// (runc) over the bus: pods applied with spec.nodeName run, and get, logs, exec and delete behave
// as on Kubernetes. Admission is the API server's, so the agent's writes pass the real rules.
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import t from 'tap';
import { KUBECTL } from '../../kernel/testing/kite.js';
import { startKubectlNode, type KubectlResult as Result } from './kubectl-node.testkit.js';
import { runcUnavailable } from './testkit.js';

t.test('kubectl against pods on a runc node', { skip: runcUnavailable() }, async (t) => {
  const node = await startKubectlNode(t, 'kubectl');
  const { kubectl, waitFor, kubeconfigPath, cacheDir } = node;

  const manifest = `
apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  nodeName: w1
  terminationGracePeriodSeconds: 2
  containers:
    - name: nginx
      image: nginx
    - name: sidecar
      image: busybox:1.36
      command: ["sh", "-c", "echo sidecar up; while true; do sleep 1; done"]
---
apiVersion: v1
kind: Pod
metadata: { name: memory-hog }
spec:
  nodeName: w1
  restartPolicy: Never
  containers:
    - name: hog
      image: busybox
      command: ["sh", "-c", "x=a; while true; do x=$x$x; done"]
      resources: { limits: { memory: 20Mi } }
`;
  const applied = await kubectl(['apply', '-f', '-'], manifest);
  t.equal(applied.code, 0, applied.stderr);

  const running = await waitFor(['get', 'pod', 'web'], /web\s+2\/2\s+Running\s+0/, 'web running');
  t.match(running.stdout, /READY\s+STATUS\s+RESTARTS/);
  const oom = await waitFor(['get', 'pod', 'memory-hog'], /OOMKilled/, 'memory-hog OOMKilled');
  t.match(oom.stdout, /memory-hog\s+0\/1\s+OOMKilled\s+0/);

  const logs = await waitFor(['logs', 'web', '-c', 'sidecar'], /sidecar up/, 'sidecar logs');
  t.equal(logs.stdout, 'sidecar up\n');
  const noPrevious = await kubectl(['logs', 'web', '-c', 'sidecar', '--previous']);
  t.not(noPrevious.code, 0);
  t.match(noPrevious.stderr, /previous terminated container "sidecar" in pod "web" not found/);

  const ls = await kubectl(['exec', 'web', '-c', 'sidecar', '--', 'ls', '/bin/busybox']);
  t.equal(ls.code, 0, ls.stderr);
  t.equal(ls.stdout, '/bin/busybox\n');
  const failing = await kubectl(['exec', 'web', '-c', 'sidecar', '--', 'sh', '-c', 'exit 3']);
  t.equal(failing.code, 3, 'kubectl exits with the command\'s exit code');
  const page = await kubectl(['exec', 'web', '-c', 'sidecar', '--', 'wget', '-q', '-O', '-', 'http://localhost:80/']);
  t.match(page.stdout, /Welcome to nginx!/, 'the sidecar reaches the nginx stand-in on localhost');
  const stdin = await kubectl(['exec', '-i', 'web', '-c', 'sidecar', '--', 'cat'], 'through stdin\n');
  t.equal(stdin.stdout, 'through stdin\n');

  // kubectl -it wants a terminal of its own: script(1) gives it one.
  const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const itCommand = [KUBECTL, '--kubeconfig', kubeconfigPath, '--cache-dir', cacheDir, 'exec', '-it', 'web', '-c', 'sidecar', '--', 'sh', '-c', 'tty; exit 7'].map(q).join(' ');
  const it = await new Promise<Result>((resolve) => {
    execFile('script', ['-qec', itCommand, '/dev/null'], { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
  t.match(it.stdout, /\/dev\/pts\/\d+/, 'kubectl exec -it gets a terminal in the container');
  t.equal(it.code, 7, 'and the exit code');

  const deleted = await kubectl(['delete', 'pod', 'web', '--wait=true', '--timeout=30s']);
  t.equal(deleted.code, 0, deleted.stderr);
  const gone = await kubectl(['get', 'pod', 'web']);
  t.match(gone.stderr, /pods "web" not found/);
});
