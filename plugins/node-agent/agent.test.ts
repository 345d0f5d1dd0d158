// The node agent on the real runc runtime with busybox: pods bound to the node by spec.nodeName
// (no scheduler) run, restart, fail, get OOM-killed, share localhost, log over the bus, survive an
// agent restart and are deleted through the agent's finalizer.
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { WebSocket } from 'ws';
import { subjects } from '../../kernel/bus/types.js';
import type { LogStreamRequest } from '../../kernel/api/streams/protocol.js';
import type { KubeObject } from '../../kernel/objects/types.js';
import { NODE_RESOURCE, LEASE_RESOURCE, POD_RESOURCE, EVENT_RESOURCE, type Pod, type PodContainerStatus } from './pod-types.js';
import { runcUnavailable, startAgentHarness, type AgentHarness } from './testkit.js';
import { serveApiLogs } from './logs-http.testkit.js';

const cs = (p: Pod, name?: string): PodContainerStatus | undefined => (p?.status?.containerStatuses ?? []).find((c) => !name || c.name === name);
const ready = (p: Pod) => p?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

async function readLogs(h: AgentHarness, req: LogStreamRequest): Promise<string> {
  const stream = await h.bus.openStream(subjects.node('node-1', 'logs'), req);
  let out = '';
  for await (const chunk of stream) out += Buffer.from(chunk).toString();
  return out;
}

t.test('node agent with runc', { skip: runcUnavailable() }, async (t) => {
  const h = await startAgentHarness(t, { agentOptions: { containerLogMaxBytes: 4096, logRotateSeconds: 0.5 } });

  t.test('registers the Node and heartbeats through a Lease', async (t) => {
    const node = await h.store.get<KubeObject>(NODE_RESOURCE, undefined, 'node-1');
    t.equal(node.metadata.labels?.['kubernetes.io/hostname'], 'node-1');
    t.equal(node.metadata.labels?.['kubernetes.io/os'], 'linux');
    const status = node.status as { capacity: Record<string, string>; conditions: Array<{ type: string; status: string }>; nodeInfo: { containerRuntimeVersion: string } };
    t.equal(status.capacity.pods, '110');
    t.ok(Number(status.capacity.cpu) >= 1);
    t.match(status.capacity.memory, /^\d+Ki$/);
    t.equal(status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
    t.equal(status.conditions.find((c) => c.type === 'MemoryPressure')?.status, 'False');
    t.match(status.nodeInfo.containerRuntimeVersion, /^(runc|crun):\/\//);
    const lease = await h.store.get<KubeObject>(LEASE_RESOURCE, 'kube-node-lease', 'node-1');
    const first = (lease.spec as { renewTime: string }).renewTime;
    await new Promise((r) => setTimeout(r, 2500));
    const renewed = await h.store.get<KubeObject>(LEASE_RESOURCE, 'kube-node-lease', 'node-1');
    t.not((renewed.spec as { renewTime: string }).renewTime, first, 'lease renewed');
  });

  // Started together: each waits on its own pod, the node runs them concurrently.
  const created = Promise.all([
    h.createPod('running', { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo hello from $(POD_NAME); echo line2; exec sleep 3600'], env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] }] }),
    h.createPod('succeeds', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'exit 0'] }] }),
    h.createPod('fails', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'exit 1'] }] }),
    h.createPod('crashloop', { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo crash; exit 2'] }] }),
    h.createPod('oom', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'x=a; while true; do x=$x$x; done'], resources: { limits: { memory: '20Mi' } } }] }),
    h.createPod('init', {
      restartPolicy: 'Never',
      volumes: [{ name: 'work', emptyDir: {} }],
      initContainers: [{ name: 'prepare', image: 'busybox', command: ['sh', '-c', 'echo prepared-by-init > /work/message'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
      containers: [{ name: 'main', image: 'busybox', command: ['cat', '/work/message'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
    }),
    h.createPod('sidecar', {
      restartPolicy: 'Never',
      containers: [
        { name: 'web', image: 'busybox', command: ['sh', '-c', 'mkdir -p /www && echo neighbour-says-hi > /www/index.html && exec httpd -f -p 8080 -h /www'] },
        { name: 'client', image: 'busybox', command: ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://localhost:8080/ && exit 0; sleep 0.5; done; exit 1'] },
      ],
    }),
    h.createPod('liveness', { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'touch /tmp/healthy; sleep 1; rm /tmp/healthy; exec sleep 3600'], livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 1 } }] }),
    h.createPod('readiness', { containers: [{ name: 'web', image: 'nginx', readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 }, livenessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1 } }] }),
    h.createPod('chatty', { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'i=0; while [ $i -lt 400 ]; do echo line-$i-padding-padding-padding; i=$((i+1)); done; echo last-line; exec sleep 3600'] }] }),
    h.createPod('hostnet', { hostNetwork: true, restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'ip -o link | grep -v " lo:" | wc -l'] }] }),
    h.createPod('badcommand', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['no-such-binary'] }] }),
    h.createPod('badimage', { containers: [{ name: 'main', image: 'Not//Valid' }] }),
    h.createPod('missingimage', { containers: [{ name: 'main', image: 'no-such-image:1.0' }] }),
  ]);
  await created;

  t.test('a busybox pod reaches Running and Ready', async (t) => {
    const p = await h.waitForPod('running', 'Running and Ready', (p) => p?.status?.phase === 'Running' && ready(p));
    t.ok(cs(p)?.state.running?.startedAt, 'running state with startedAt');
    t.equal(cs(p)?.restartCount, 0);
    t.match(cs(p)?.containerID, /^runc:\/\//);
    t.equal(p.status?.qosClass, 'BestEffort');
    t.ok(p.status?.hostIP);
    t.ok(p.metadata.finalizers?.includes('kite.dev/node-agent'), 'the agent holds the pod with its finalizer');
  });

  t.test('logs come back over the bus (all and tail)', async (t) => {
    await h.waitForPod('running', 'Running', (p) => p?.status?.phase === 'Running');
    let logs = '';
    for (let i = 0; i < 30 && !logs.includes('line2'); i++) {
      logs = await readLogs(h, { namespace: 'default', pod: 'running' });
      await new Promise((r) => setTimeout(r, 100));
    }
    t.equal(logs, 'hello from running\nline2\n');
    t.equal(await readLogs(h, { namespace: 'default', pod: 'running', tailLines: 1 }), 'line2\n');
    await t.rejects(readLogs(h, { namespace: 'default', pod: 'running', container: 'nope' }), /container nope is not valid for pod running/);
    await t.rejects(readLogs(h, { namespace: 'default', pod: 'running', previous: true }), /previous terminated container "main" in pod "running" not found/);
  });

  t.test('restartPolicy Never: exit 0 → Succeeded/Completed, exit 1 → Failed/Error', async (t) => {
    const ok = await h.waitForPod('succeeds', 'Succeeded', (p) => p?.status?.phase === 'Succeeded');
    t.equal(cs(ok)?.state.terminated?.reason, 'Completed');
    t.equal(cs(ok)?.state.terminated?.exitCode, 0);
    const bad = await h.waitForPod('fails', 'Failed', (p) => p?.status?.phase === 'Failed');
    t.equal(cs(bad)?.state.terminated?.reason, 'Error');
    t.equal(cs(bad)?.state.terminated?.exitCode, 1);
    // The runtime relies on these instead of a `runc delete` and a `umount` per container.
    const id = cs(bad)!.containerID!.replace('runc://', '');
    const runtimeDir = join(h.dataDir, 'node', 'node-1', 'runtime');
    t.ok(existsSync(join(runtimeDir, 'containers', id, 'exit')), 'the exit file is written');
    t.notOk(existsSync(join(runtimeDir, 'runc', id)), '`runc run` removed its own state');
    t.notOk(readFileSync('/proc/mounts', 'utf8').includes(join(runtimeDir, 'containers', id)), 'the supervisor unmounted the rootfs');
  });

  t.test('restartPolicy Always with a failing command: CrashLoopBackOff, restarts rising', async (t) => {
    const p = await h.waitForPod('crashloop', 'CrashLoopBackOff with 2 restarts', (p) => (cs(p)?.restartCount ?? 0) >= 2 && cs(p)?.state.waiting?.reason === 'CrashLoopBackOff');
    t.equal(cs(p)?.lastState.terminated?.exitCode, 2);
    t.equal(p.status?.phase, 'Running');
    t.equal(await readLogs(h, { namespace: 'default', pod: 'crashloop', previous: true }), 'crash\n');
  });

  t.test('exceeding the memory limit: OOMKilled', async (t) => {
    const p = await h.waitForPod('oom', 'OOMKilled', (p) => p?.status?.phase === 'Failed');
    t.equal(cs(p)?.state.terminated?.reason, 'OOMKilled');
    t.equal(cs(p)?.state.terminated?.exitCode, 137);
  });

  t.test('init container runs first and shares the emptyDir', async (t) => {
    const p = await h.waitForPod('init', 'Succeeded', (p) => p?.status?.phase === 'Succeeded');
    t.equal(p.status?.initContainerStatuses?.[0]?.state.terminated?.reason, 'Completed');
    t.equal(await readLogs(h, { namespace: 'default', pod: 'init', container: 'main' }), 'prepared-by-init\n');
  });

  t.test('sidecar reaches its neighbour on localhost', async (t) => {
    const p = await h.waitForPod('sidecar', 'client done', (p) => cs(p, 'client')?.state.terminated !== undefined);
    t.equal(cs(p, 'client')?.state.terminated?.exitCode, 0);
    t.equal(await readLogs(h, { namespace: 'default', pod: 'sidecar', container: 'client' }), 'neighbour-says-hi\n');
  });

  t.test('a failing liveness probe restarts the container; readiness drives Ready', async (t) => {
    const live = await h.waitForPod('liveness', 'restarted', (p) => (cs(p)?.restartCount ?? 0) >= 1);
    t.ok(cs(live)?.lastState.terminated, 'the killed instance is the last state');
    const web = await h.waitForPod('readiness', 'Ready', (p) => ready(p));
    t.equal(cs(web)?.ready, true);
    t.equal(cs(web)?.restartCount, 0, 'tcpSocket liveness passes');
    const events = await h.store.list<KubeObject & { reason?: string; message?: string; involvedObject?: { name: string } }>(EVENT_RESOURCE, { namespace: 'default' });
    t.ok(events.items.some((e) => e.involvedObject?.name === 'liveness' && e.reason === 'Unhealthy' && /Liveness probe failed/.test(e.message ?? '')), 'Unhealthy event');
  });

  t.test('hostNetwork pods share the node\'s network and get its address', async (t) => {
    const p = await h.waitForPod('hostnet', 'Succeeded', (p) => p?.status?.phase === 'Succeeded');
    t.equal(p.status?.podIP, p.status?.hostIP);
    t.ok(Number((await readLogs(h, { namespace: 'default', pod: 'hostnet' })).trim()) > 0, 'the host\'s interfaces besides lo are visible');
  });

  t.test('bad command, malformed image name and missing image give upstream reasons', async (t) => {
    const cmd = await h.waitForPod('badcommand', 'Failed', (p) => p?.status?.phase === 'Failed');
    t.equal(cs(cmd)?.state.terminated?.reason, 'StartError');
    t.equal(cs(cmd)?.state.terminated?.exitCode, 128);
    t.match(cs(cmd)?.state.terminated?.message, /exec: "no-such-binary": executable file not found in \$PATH/);
    const invalid = await h.waitForPod('badimage', 'InvalidImageName', (p) => cs(p)?.state.waiting?.reason === 'InvalidImageName');
    t.match(cs(invalid)?.state.waiting?.message, /couldn't parse image name "Not\/\/Valid": invalid reference format/);
    const missing = await h.waitForPod('missingimage', 'ErrImagePull', (p) => /ErrImagePull|ImagePullBackOff/.test(cs(p)?.state.waiting?.reason ?? ''));
    t.equal(missing.status?.phase, 'Pending');
    const events = await h.store.list<KubeObject & { reason?: string; involvedObject?: { name: string } }>(EVENT_RESOURCE, { namespace: 'default' });
    const reasons = new Set(events.items.filter((e) => e.involvedObject?.name === 'running').map((e) => e.reason));
    t.ok(reasons.has('Created') && reasons.has('Started'), `events for the running pod: ${[...reasons].join(', ')}`);
  });

  t.test('pods/log over HTTP through the API-side handler', async (t) => {
    const url = await serveApiLogs(t, h.store, h.bus);
    const all = await fetch(`${url}/default/running`);
    t.equal(all.status, 200);
    t.match(all.headers.get('content-type'), /^text\/plain/);
    t.equal(await all.text(), 'hello from running\nline2\n');
    const tail = await fetch(`${url}/default/running?container=main&tailLines=1`);
    t.equal(await tail.text(), 'line2\n');
    const previous = await fetch(`${url}/default/running?previous=true`);
    t.equal(previous.status, 400);
    t.match(((await previous.json()) as { message: string }).message, /previous terminated container "main" in pod "running" not found/);
    const unknown = await fetch(`${url}/default/sidecar`);
    t.equal(unknown.status, 400);
    t.match(((await unknown.json()) as { message: string }).message, /a container name must be specified for pod sidecar, choose one of: \[web client\]/);
    const controller = new AbortController();
    const follow = await fetch(`${url}/default/running?follow=true`, { signal: controller.signal });
    const reader = follow.body!.getReader();
    const { value } = await reader.read();
    t.match(Buffer.from(value!).toString(), /hello from running/, 'follow streams the log and stays open');
    controller.abort();
  });

  t.test('exec over WebSocket (v5.channel.k8s.io) through the API-side handler', async (t) => {
    const url = (await serveApiLogs(t, h.store, h.bus)).replace(/^http/, 'ws');
    const run = (query: string, stdin?: string, resize?: { Width: number; Height: number }) => new Promise<{ protocol: string; out: string; err: string; status: { status: string; details?: { causes: Array<{ message: string }> } } }>((resolve, reject) => {
      const ws = new WebSocket(`${url}/exec/default/running?${query}`, ['v5.channel.k8s.io']);
      let out = '';
      let err = '';
      let status: { status: string } | undefined;
      ws.on('open', () => {
        if (resize) ws.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify(resize))]));
        if (stdin === undefined) return;
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(stdin)]));
        ws.send(Buffer.from([255, 0]));
      });
      ws.on('message', (data: Buffer) => {
        if (data[0] === 1) out += data.subarray(1).toString();
        else if (data[0] === 2) err += data.subarray(1).toString();
        else if (data[0] === 3) status = JSON.parse(data.subarray(1).toString());
      });
      ws.on('close', () => (status ? resolve({ protocol: ws.protocol, out, err, status: status as never }) : reject(new Error('closed without status'))));
      ws.on('error', reject);
    });
    const ls = await run('command=ls&command=/bin/busybox&stdout=true&stderr=true');
    t.equal(ls.protocol, 'v5.channel.k8s.io');
    t.equal(ls.out, '/bin/busybox\n');
    t.equal(ls.status.status, 'Success');
    const failing = await run(`command=sh&command=-c&command=${encodeURIComponent('echo oops >&2; exit 3')}&stderr=true`);
    t.equal(failing.err, 'oops\n');
    t.equal(failing.status.status, 'Failure');
    t.equal(failing.status.details?.causes[0]?.message, '3', 'exit code in the status');
    const cat = await run('command=cat&stdin=true&stdout=true', 'piped through stdin');
    t.equal(cat.out, 'piped through stdin');
    const tty = await run(`command=sh&command=-c&command=${encodeURIComponent('tty; stty size; read line; echo "got $line"; exit 5')}&stdin=true&stdout=true&tty=true`, 'typed\r', { Width: 120, Height: 40 });
    // The typed line may be echoed anywhere in between: the container's terminal echoes on arrival.
    // The size is set when runc creates the terminal (process consoleSize): `stty size` used to see
    // 0x0 (busybox then prints a stale errno, ECHILD) when it ran before runc's first resize.
    t.match(tty.out, /\/dev\/pts\/\d+/, 'a terminal');
    t.match(tty.out, /40 120\r\n/, 'of the size kubectl sent');
    t.match(tty.out, /got typed/);
    t.equal((tty.out.match(/(?<!got )typed/g) ?? []).length, 1, 'echoed once, by the container\'s terminal only');
    t.equal(tty.status.details?.causes[0]?.message, '5');
    const plain = await fetch(`${url.replace(/^ws/, 'http')}/exec/default/running?command=ls&container=nope`);
    t.equal(plain.status, 400);
    t.match(((await plain.json()) as { message: string }).message, /container nope is not valid for pod running/);
  });

  t.test('a log beyond the size cap is rotated', async (t) => {
    await h.waitForPod('chatty', 'Running', (p) => p?.status?.phase === 'Running');
    let logs: string | undefined;
    for (let i = 0; i < 50 && logs === undefined; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const all = await readLogs(h, { namespace: 'default', pod: 'chatty' });
      if (!all.includes('line-0-')) logs = all;
    }
    t.ok(logs !== undefined && logs.length <= 4096, `current log is below the cap after rotation (${logs?.length} bytes)`);
    const worker = h.agent.pod('default', 'chatty')!;
    const { readFileSync } = await import('node:fs');
    const rotated = readFileSync(`${worker.records.get('main')!.current!.logPath}.1`, 'utf8');
    t.match(rotated, /line-399-/, 'the rotated part is kept beside it');
  });

  t.test('changing a container image restarts it on the new image', async (t) => {
    const before = await h.waitForPod('readiness', 'Running', (p) => cs(p)?.state.running !== undefined);
    await h.store.guaranteedUpdate<Pod>(POD_RESOURCE, 'default', 'readiness', (p) => {
      const next = structuredClone(p) as Pod;
      next.spec.containers[0]!.image = 'nginx:1.25';
      return next;
    });
    const after = await h.waitForPod('readiness', 'restarted on nginx:1.25', (p) => cs(p)?.image === 'nginx:1.25' && cs(p)?.restartCount === 1 && cs(p)?.state.running !== undefined, 15_000);
    t.not(cs(after)?.containerID, cs(before)?.containerID);
  });

  t.test('agent restart adopts the running container without restarting it', async (t) => {
    const before = await h.waitForPod('running', 'Running', (p) => p?.status?.phase === 'Running');
    await h.restartAgent();
    await new Promise((r) => setTimeout(r, 1000));
    const after = await h.waitForPod('running', 'Running', (p) => p?.status?.phase === 'Running' && ready(p));
    t.equal(cs(after)?.containerID, cs(before)?.containerID, 'same container');
    t.equal(cs(after)?.restartCount, 0);
    t.equal(cs(after)?.state.running?.startedAt, cs(before)?.state.running?.startedAt);
    t.equal(await readLogs(h, { namespace: 'default', pod: 'running' }), 'hello from running\nline2\n', 'logs still served');
  });

  t.test('deletion waits for the containers, then the pod is gone', async (t) => {
    const result = await h.store.delete<Pod>(POD_RESOURCE, 'default', 'running');
    t.equal(result.deleted, false, 'the finalizer keeps the pod while containers stop');
    await h.waitForPod('running', 'deleted', (p) => !p, 20_000);
    const left = (await h.runtime.listSandboxes()).filter((s) => s.name === 'running');
    t.same(left, [], 'sandbox removed');
  });
});
