// 100 busybox pods through `kite up` with the default network (bridge + host-local over the node's
// podCIDR from the node IPAM controller): all get distinct IPs, and after deletion no namespace,
// veth, address or cached attachment is left; the bridge goes when kite stops with no pods.
import 'reflect-metadata';
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestKite } from '../../kernel/testing/kite.js';
import { defaultBridgeName } from './setup.js';
import { bridgePorts, cleanupNodeLeftovers, trySh, waitFor as waitUntil } from './testkit.js';

const PODS = 100;

const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number) => waitUntil(what, check, timeoutMs, 1000);

t.test(`${PODS} pods created and deleted leave nothing behind`, async (t) => {
  const kite = await startTestKite(t);
  const nodeName = (await kite.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout.trim();
  const nodeDir = join(kite.dataDir, 'node', nodeName);
  const bridge = defaultBridgeName(nodeDir);
  t.teardown(async () => {
    // The agent first, so it creates nothing after the cleanup.
    await kite.stop().catch(() => undefined);
    cleanupNodeLeftovers(nodeDir, bridge);
  });
  const items = Array.from({ length: PODS }, (_, i) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `s${i}`, labels: { app: 'scale' } },
    spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
  }));
  const created = await kite.kubectl(['apply', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
  t.equal(created.code, 0, created.stderr);
  const started = Date.now();
  const ips = await waitFor('every pod Running with an IP', async () => {
    const list = JSON.parse((await kite.kubectl(['get', 'pods', '-l', 'app=scale', '-o', 'json'])).stdout) as { items: Array<{ status?: { phase?: string; podIP?: string } }> };
    const ready = list.items.filter((p) => p.status?.phase === 'Running' && p.status.podIP);
    return ready.length === PODS ? ready.map((p) => p.status!.podIP!) : undefined;
  }, 200_000);
  t.comment(`${PODS} pods Running with IPs after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.equal(new Set(ips).size, PODS, 'distinct IPs');
  t.equal(bridgePorts(bridge).length, PODS, 'one veth per pod on the bridge');
  const sandboxDir = join(nodeDir, 'runtime', 'sandboxes');
  const holders = readdirSync(sandboxDir).map((f) => (JSON.parse(readFileSync(join(sandboxDir, f), 'utf8')) as { pid: number }).pid);
  t.equal(holders.length, PODS, 'one sandbox (network namespace holder) per pod');

  const deleted = await kite.kubectl(['delete', 'pods', '-l', 'app=scale', '--wait=false']);
  t.equal(deleted.code, 0, deleted.stderr);
  await waitFor('every pod gone', async () => (await kite.kubectl(['get', 'pods', '-l', 'app=scale', '-o', 'name'])).stdout.trim() === '', 120_000);
  const leases = readdirSync(join(nodeDir, 'cni', 'networks', 'kite')).filter((f) => /^\d/.test(f));
  t.same(leases, [], 'no address allocation left');
  t.same(readdirSync(join(nodeDir, 'cni', 'results')), [], 'no cached attachment left');
  t.same(bridgePorts(bridge), [], 'no veth left');
  const alive = holders.filter((pid) => { try { process.kill(pid, 0); return true; } catch { return false; } });
  t.same(alive, [], 'no namespace holder left (their network namespaces are gone)');
  t.same(existsSync(sandboxDir) ? readdirSync(sandboxDir) : [], [], 'no sandbox record left');
  t.equal(await kite.stop(), 0);
  t.equal(trySh('ip', ['link', 'show', bridge]), undefined, 'the bridge is removed when kite stops with no pods');
});
