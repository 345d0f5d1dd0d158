// `kite up --nodes 2`: two node agents, each in its own network namespace acting as a host, pod
// CIDRs from the node IPAM controller routed between them; pod-to-pod TCP and UDP across the nodes
// and on one node; everything (namespaces, bridge, pods) gone after SIGTERM, and a crashed run's
// leftovers removed on start.
import 'reflect-metadata';
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostNetworkPrefix } from '../../kernel/multinode/hostnet.js';
import { cidrContains, parseCidr, parseIPv4 } from '../../kernel/net/ipv4.js';
import { startTestKite, type TestKite } from '../../kernel/testing/kite.js';
import { cleanupNodeLeftovers, podNetns, sh, trySh, udpRoundTrip, waitFor } from './testkit.js';


interface NodeJson { metadata: { name: string }; spec: { podCIDR?: string }; status: { addresses: Array<{ type: string; address: string }>; conditions: Array<{ type: string; status: string }> } }
interface PodJson { metadata: { name: string; uid: string }; spec: { nodeName: string }; status: { phase?: string; podIP?: string } }

t.test('kite up --nodes 2', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'n2-multi-'));
  const prefix = hostNetworkPrefix(dataDir);
  const netnsOf = () => sh('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${prefix}-`));
  let kite: TestKite | undefined;
  t.teardown(async () => {
    // The agents first, so nothing is created after the cleanup.
    await kite?.stop().catch(() => undefined);
    for (const n of netnsOf()) trySh('ip', ['netns', 'del', n]);
    trySh('ip', ['link', 'del', `${prefix}br`]);
    for (const n of ['kite-node-1', 'kite-node-2']) cleanupNodeLeftovers(join(dataDir, 'node', n));
    rmSync(dataDir, { recursive: true, force: true });
  });
  // What a crashed run would leave: a node namespace with the run's prefix.
  sh('ip', ['netns', 'add', `${prefix}-9`]);
  kite = await startTestKite(t, ['--nodes', '2'], dataDir);
  t.same(netnsOf().sort(), [`${prefix}-1`, `${prefix}-2`], 'one namespace per node; the stale one was removed');

  const nodes = await waitFor('two nodes with pod CIDRs and a ready network', async () => {
    const list = JSON.parse((await kite.kubectl(['get', 'nodes', '-o', 'json'])).stdout) as { items: NodeJson[] };
    const ready = list.items.filter((n) => n.spec.podCIDR && n.status.conditions.some((c) => c.type === 'NetworkUnavailable' && c.status === 'False'));
    return ready.length === 2 ? ready.sort((x, y) => x.metadata.name.localeCompare(y.metadata.name)) : undefined;
  });
  t.same(nodes.map((n) => n.metadata.name), ['kite-node-1', 'kite-node-2'], 'distinct node names');
  const [n1, n2] = nodes as [NodeJson, NodeJson];
  t.not(n1.spec.podCIDR, n2.spec.podCIDR, `distinct pod CIDRs ${n1.spec.podCIDR} ${n2.spec.podCIDR}`);
  const internal = (n: NodeJson) => n.status.addresses.find((a) => a.type === 'InternalIP')!.address;
  t.match(internal(n1), /^172\.30\.\d+\.11$/, 'node 1 on the private machine network');
  t.match(internal(n2), /^172\.30\.\d+\.12$/);
  t.equal(trySh('ip', ['-n', `${prefix}-1`, 'route', 'show', 'default'])?.trim(), '', 'no default route: nothing leaves the machine');
  t.match(sh('ip', ['-n', `${prefix}-1`, 'route', 'show']), `${n2.spec.podCIDR} via ${internal(n2)}`, 'host route to the other node\'s pods');

  const apply = async (name: string, node: string, command: string[]) => {
    const manifest = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command }] } };
    const r = await kite.kubectl(['apply', '-f', '-'], { stdin: JSON.stringify(manifest) });
    t.equal(r.code, 0, `created ${name} ${r.stderr}`);
  };
  const server = ['sh', '-c', 'while true; do echo pong-$HOSTNAME | nc -l -p 8080; done'];
  await apply('p1', 'kite-node-1', server);
  await apply('p2', 'kite-node-2', server);
  await apply('p3', 'kite-node-1', ['sleep', '3600']);
  const running = (name: string) => waitFor(`${name} Running`, async () => {
    const p = JSON.parse((await kite.kubectl(['get', 'pod', name, '-o', 'json'])).stdout || 'null') as PodJson | null;
    return p?.status?.phase === 'Running' && p.status.podIP ? p : undefined;
  });
  const [p1, p2, p3] = [await running('p1'), await running('p2'), await running('p3')];
  const inside = (ip: string, cidr: string) => cidrContains(parseCidr(cidr)!, parseIPv4(ip)!);
  t.ok(inside(p1.status.podIP!, n1.spec.podCIDR!), `p1 ${p1.status.podIP} from kite-node-1's ${n1.spec.podCIDR}`);
  t.ok(inside(p3.status.podIP!, n1.spec.podCIDR!), `p3 ${p3.status.podIP} from kite-node-1's range`);
  t.ok(inside(p2.status.podIP!, n2.spec.podCIDR!), `p2 ${p2.status.podIP} from kite-node-2's ${n2.spec.podCIDR}`);

  const tcp = async (from: string, to: PodJson) => {
    for (let i = 0; i < 20; i++) {
      const r = await kite.kubectl(['exec', from, '--', 'sh', '-c', `nc -w 3 ${to.status.podIP} 8080 </dev/null`]);
      if (r.stdout.includes('pong')) return r.stdout.trim();
      await new Promise((res) => setTimeout(res, 500));
    }
    return 'no answer';
  };
  t.equal(await tcp('p3', p2), 'pong-p2', 'TCP across nodes (kite-node-1 → kite-node-2), no NAT in between');
  t.equal(await tcp('p2', p1), 'pong-p1', 'TCP across nodes (kite-node-2 → kite-node-1)');
  t.equal(await tcp('p3', p1), 'pong-p1', 'TCP on one node');
  const dir1 = join(dataDir, 'node', 'kite-node-1');
  const dir2 = join(dataDir, 'node', 'kite-node-2');
  t.equal(await udpRoundTrip(t, podNetns(dir2, p2.metadata.uid), p2.status.podIP!, podNetns(dir1, p3.metadata.uid)), 'pong:ping', 'UDP across nodes');
  t.equal(await udpRoundTrip(t, podNetns(dir1, p1.metadata.uid), p1.status.podIP!, podNetns(dir1, p3.metadata.uid), 9998), 'pong:ping', 'UDP on one node');

  const holders = (dir: string) => readdirSync(join(dir, 'runtime', 'sandboxes')).map((f) => (JSON.parse(readFileSync(join(dir, 'runtime', 'sandboxes', f), 'utf8')) as { pid: number }).pid);
  const pids = [...holders(dir1), ...holders(dir2)];
  t.equal(pids.length, 3, 'three pod sandboxes');
  const code = await kite.stop();
  t.equal(code, 0, 'kite up exits cleanly on SIGTERM');
  t.same(netnsOf(), [], 'node namespaces removed');
  t.equal(trySh('ip', ['link', 'show', `${prefix}br`]), undefined, 'machine bridge removed');
  const alive = pids.filter((pid) => { try { process.kill(pid, 0); return true; } catch { return false; } });
  t.same(alive, [], 'the pods were removed with the nodes');
});
