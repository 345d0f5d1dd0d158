// The pod network through `kite up` and the real kubectl on one node, with a configured conflist
// (Debian's bridge + host-local, then a "gate" plugin the test can make fail or hang): pod IPs in
// `get -o wide` and the downward API, TCP and UDP between pods, a node agent restart that keeps
// IPs without a second ADD, FailedCreatePodSandBox events without leaks, release and reuse.
import 'reflect-metadata';
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinPlugins } from '../../kernel/plugin/config.js';
import { startTestKite, type TestKite } from '../../kernel/testing/kite.js';
import { bridgePorts, cleanupNodeLeftovers, podNetns, tempDir, trySh, udpRoundTrip, uniq, waitFor } from './testkit.js';

const GATE = (dir: string) => `#!/bin/sh
input=$(cat)
echo "$CNI_COMMAND $CNI_CONTAINERID" >> ${dir}/calls.log
case "$CNI_COMMAND" in
  VERSION) printf '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}' ;;
  ADD)
    if [ -f ${dir}/fail ]; then printf '{"cniVersion":"1.0.0","code":11,"msg":"gate is closed","details":"the test said no"}'; exit 1; fi
    if [ -f ${dir}/hang ]; then sleep 60; fi
    printf '%s' "$input" | sed -e 's/.*"prevResult":\\(.*\\)}$/\\1/' ;;
  *) : ;;
esac
`;


interface PodJson { metadata: { name: string; uid: string }; status: { phase?: string; podIP?: string; podIPs?: Array<{ ip: string }> } }

t.test('pod network on one node', async (t) => {
  const id = uniq();
  const dir = tempDir(t, 'n2-pods-');
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'gate'), GATE(dir));
  chmodSync(join(dir, 'bin', 'gate'), 0o755);
  const third = 100 + (parseInt(id, 36) % 100);
  const subnet = `10.247.${third}.0/24`;
  const bridge = `n2p${id}`;
  const ipamDir = join(dir, 'ipam');
  // Four addresses only, so a freed one must be reused.
  const confList = {
    cniVersion: '1.0.0',
    name: 'kite',
    plugins: [
      { type: 'bridge', bridge, isGateway: true, ipMasq: false, ipam: { type: 'host-local', dataDir: ipamDir, ranges: [[{ subnet, rangeStart: `10.247.${third}.10`, rangeEnd: `10.247.${third}.13`, gateway: `10.247.${third}.1` }]], routes: [{ dst: '0.0.0.0/0' }] } },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      { type: 'gate' },
    ],
  };
  const plugins = builtinPlugins().map((p) => p.name === 'node-agent'
    ? { ...p, options: { runtime: 'builtin:runtime-runc', backoffInitialSeconds: 1, network: { confList, cniPath: [join(dir, 'bin'), '/usr/lib/cni'], pluginTimeoutSeconds: 2 } } }
    : p);
  const configPath = join(dir, 'kite.json');
  writeFileSync(configPath, JSON.stringify({ apiVersion: 'kite.dev/v1alpha1', kind: 'KernelConfiguration', plugins }));
  let kite: TestKite = await startTestKite(t, ['--config', configPath]);
  const nodeName = (await kite.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout.trim();
  const nodeDir = join(kite.dataDir, 'node', nodeName);
  t.teardown(async () => {
    // The agent first, so it creates nothing after the cleanup.
    await kite.stop().catch(() => undefined);
    cleanupNodeLeftovers(nodeDir, bridge);
  });
  const adds = () => (existsSync(join(dir, 'calls.log')) ? readFileSync(join(dir, 'calls.log'), 'utf8') : '').split('\n').filter((l) => l.startsWith('ADD')).length;
  const pod = async (name: string) => JSON.parse((await kite.kubectl(['get', 'pod', name, '-o', 'json'])).stdout || 'null') as PodJson | null;
  const running = (name: string) => waitFor(`${name} Running`, async () => { const p = await pod(name); return p?.status?.phase === 'Running' && p.status.podIP ? p : undefined; });
  const apply = async (name: string, command: string[], ports?: Array<{ containerPort: number; hostPort: number }>) => {
    const manifest = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: {
        nodeName, terminationGracePeriodSeconds: 1,
        containers: [{ name: 'c', image: 'busybox', command, ...(ports ? { ports } : {}), env: [{ name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }],
      },
    };
    const r = await kite.kubectl(['apply', '-f', '-'], { stdin: JSON.stringify(manifest) });
    t.equal(r.code, 0, `created ${name} ${r.stderr}`);
  };
  const events = async (name: string) => (JSON.parse((await kite.kubectl(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).stdout) as { items: Array<{ reason: string; type: string; message: string }> }).items;
  const server = ['sh', '-c', 'while true; do echo pong | nc -l -p 8080; done'];
  const sleeper = ['sleep', '3600'];

  const node = await waitFor('NetworkUnavailable False', async () => {
    const n = JSON.parse((await kite.kubectl(['get', 'node', nodeName, '-o', 'json'])).stdout) as { status: { conditions: Array<{ type: string; status: string; reason: string }> } };
    return n.status.conditions.find((c) => c.type === 'NetworkUnavailable' && c.status === 'False');
  });
  t.equal(node.reason, 'NetworkReady', 'node condition NetworkUnavailable=False');

  const hostPort = 20000 + (parseInt(id, 36) % 20000);
  await apply('a', server, [{ containerPort: 8080, hostPort }]);
  await apply('b', sleeper);
  const a = await running('a');
  const b = await running('b');
  const inRange = (ip?: string) => !!ip && ip.startsWith(`10.247.${third}.`);
  t.ok(inRange(a.status.podIP) && inRange(b.status.podIP) && a.status.podIP !== b.status.podIP, `distinct pod IPs from the range: ${a.status.podIP} ${b.status.podIP}`);
  t.same(a.status.podIPs, [{ ip: a.status.podIP }], 'podIPs');
  const wide = (await kite.kubectl(['get', 'pods', '-o', 'wide'])).stdout;
  t.match(wide, new RegExp(`\\ba\\s.*${a.status.podIP!.replace(/\./g, '\\.')}\\s+${nodeName}`), 'kubectl get pods -o wide shows the IP');
  t.equal((await kite.kubectl(['exec', 'a', '--', 'sh', '-c', 'echo $MY_IP'])).stdout.trim(), a.status.podIP, 'downward API status.podIP');
  const tcp = async () => {
    for (let i = 0; i < 20; i++) {
      const r = await kite.kubectl(['exec', 'b', '--', 'sh', '-c', `nc -w 3 ${a.status.podIP} 8080 </dev/null`]);
      if (r.stdout.includes('pong')) return r.stdout.trim();
      await new Promise((res) => setTimeout(res, 500));
    }
    return 'no answer';
  };
  t.equal(await tcp(), 'pong', 'TCP pod to pod on the node');
  const hostIP = (JSON.parse((await kite.kubectl(['get', 'pod', 'a', '-o', 'json'])).stdout) as { status: { hostIP: string } }).status.hostIP;
  let viaHostPort = '';
  for (let i = 0; i < 10 && !viaHostPort.includes('pong'); i++) viaHostPort = trySh('sh', ['-c', `busybox nc -w 3 ${hostIP} ${hostPort} </dev/null`]) ?? '';
  t.equal(viaHostPort.trim(), 'pong', `hostPort ${hostPort} on the node reaches the pod (portmap) ${viaHostPort.trim() === 'pong' ? '' : (trySh('iptables', ['-t', 'nat', '-S']) ?? '').split('\n').filter((l) => l.includes(String(hostPort)) || l.includes('DNAT')).join(' | ')}`);
  t.equal(await udpRoundTrip(t, podNetns(nodeDir, a.metadata.uid), a.status.podIP!, podNetns(nodeDir, b.metadata.uid)), 'pong:ping', 'UDP pod to pod on the node');

  // Restart: the agent adopts the pods and their attachments; no second ADD.
  const addsBefore = adds();
  await kite.stop();
  kite = await kite.restart();
  const a2 = await running('a');
  t.equal(a2.status.podIP, a.status.podIP, 'pod IP kept over a restart');
  t.equal(a2.metadata.uid, a.metadata.uid);
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(adds(), addsBefore, 'no CNI ADD for running pods after the restart');
  t.equal(await tcp(), 'pong', 'TCP still works after the restart');

  // A failing plugin: FailedCreatePodSandBox with its message, the bridge's allocation undone, retried.
  writeFileSync(join(dir, 'fail'), '');
  await apply('c', sleeper);
  const failed = await waitFor('FailedCreatePodSandBox for c', async () => (await events('c')).find((e) => e.reason === 'FailedCreatePodSandBox'));
  t.equal(failed.type, 'Warning');
  t.match(failed.message, /^Failed to create pod sandbox: failed to setup network for sandbox "s-[0-9a-f-]+": plugin type="gate" name="kite" failed \(add\): gate is closed: the test said no$/, failed.message);
  const leases = () => readdirSync(join(ipamDir, 'kite')).filter((f) => /^\d/.test(f)).sort();
  t.equal(leases().length, 2, 'no address held for the failed pod');
  t.equal(bridgePorts(bridge).length, 2, 'no veth left for the failed pod');
  const c = await pod('c');
  t.notOk(existsSync(join(nodeDir, 'cni', 'results', `s-${c!.metadata.uid}-eth0.json`)), 'no cached attachment for the failed pod');
  t.notOk(c!.status?.podIP, 'no podIP while the network fails');
  rmSync(join(dir, 'fail'));
  const cRunning = await running('c');
  t.ok(inRange(cRunning.status.podIP), `c recovers after the plugin does: ${cRunning.status.podIP}`);

  // A hanging plugin: killed after pluginTimeoutSeconds, same story.
  writeFileSync(join(dir, 'hang'), '');
  await apply('d', sleeper);
  const hung = await waitFor('FailedCreatePodSandBox for d', async () => (await events('d')).find((e) => e.reason === 'FailedCreatePodSandBox'));
  t.match(hung.message, /plugin type="gate" name="kite" failed \(add\): timed out after 2s and was killed/, hung.message);
  t.equal(leases().length, 3, 'no address held for the hung pod');
  rmSync(join(dir, 'hang'));
  const d = await running('d');
  const held = leases();
  t.equal(held.length, 4, 'four addresses in use');

  // Deletion releases: all four go, and a new pod gets one of the freed addresses (the range has four).
  const r = await kite.kubectl(['delete', 'pod', 'a', 'b', 'c', 'd', '--wait=true']);
  t.equal(r.code, 0, r.stderr);
  await waitFor('addresses released', async () => leases().length === 0);
  t.same(bridgePorts(bridge), [], 'no veth left on the bridge');
  t.notMatch(trySh('iptables', ['-t', 'nat', '-S']) ?? '', `dport ${hostPort}`, 'hostPort rule removed');
  t.same(readdirSync(join(nodeDir, 'cni', 'results')), [], 'no cached attachment left');
  await apply('e', sleeper);
  const e = await running('e');
  t.ok([a, b, cRunning, d].map((p) => p.status.podIP).includes(e.status.podIP), `a released address was reused: ${e.status.podIP}`);
  await kite.kubectl(['delete', 'pod', 'e', '--wait=true']);
  await waitFor('e released', async () => leases().length === 0);
  t.same(bridgePorts(bridge), [], 'clean at the end');
});
