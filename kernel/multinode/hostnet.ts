// Several nodes on one machine (`kite up --nodes N`): each node is a network namespace acting as a
// host, with one veth into a bridge in the root namespace. The bridge's private /24 (172.30.x.0/24)
// is the nodes' "machine network": it has no route off this machine, and the root namespace's
// address on it is where the embedded nats-server listens, so agents in the namespaces reach it.
// Names carry a prefix derived from the data directory, so a new run on the same directory finds
// and removes what a crashed run left behind, and concurrent runs never share a name.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function ip(...args: string[]): Promise<string> {
  return (await run('ip', args)).stdout;
}

async function tryIp(...args: string[]): Promise<void> {
  await run('ip', args).catch(() => undefined);
}

export interface HostNode {
  /** The Node's name, `kite-node-<i>`. */
  name: string;
  /** Named network namespace (`/var/run/netns/<netns>`). */
  netns: string;
  /** The node's address on the machine network (its InternalIP). */
  ip: string;
}

export interface HostNetwork {
  prefix: string;
  bridge: string;
  /** e.g. 172.30.17.0/24 */
  subnet: string;
  /** The root namespace's address on the bridge (NATS listens here). */
  gateway: string;
  nodes: HostNode[];
  /** Removes namespaces, veths and the bridge (processes in the namespaces must be stopped first). */
  teardown(): Promise<void>;
}

export function hostNetworkPrefix(dataDir: string): string {
  return `kn${createHash('sha256').update(dataDir).digest('hex').slice(0, 6)}`;
}

/** Removes namespaces `<prefix>-*` (killing what still runs in them) and the bridge of an earlier run. */
export async function removeHostNetwork(prefix: string): Promise<void> {
  const list = await ip('netns', 'list').catch(() => '');
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (!name.startsWith(`${prefix}-`)) continue;
    const pids = (await ip('netns', 'pids', name).catch(() => '')).split('\n').map(Number).filter((n) => n > 0);
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await tryIp('netns', 'del', name);
  }
  await tryIp('link', 'del', `${prefix}br`);
}

async function freeSubnet(prefix: string): Promise<number> {
  const used = new Set<number>();
  for (const m of (await ip('-4', '-o', 'addr', 'show')).matchAll(/inet 172\.30\.(\d+)\./g)) used.add(Number(m[1]));
  const start = parseInt(prefix.slice(2, 4), 16);
  for (let i = 0; i < 256; i++) {
    const x = (start + i) % 256;
    if (!used.has(x)) return x;
  }
  throw new Error('no free /24 in 172.30.0.0/16 for the node network');
}

export async function setUpHostNetwork(dataDir: string, count: number): Promise<HostNetwork> {
  if (!Number.isInteger(count) || count < 1 || count > 200) throw new Error(`--nodes: must be an integer between 1 and 200, got ${count}`);
  const prefix = hostNetworkPrefix(dataDir);
  await removeHostNetwork(prefix);
  const x = await freeSubnet(prefix);
  const bridge = `${prefix}br`;
  const gateway = `172.30.${x}.1`;
  const nodes: HostNode[] = [];
  const teardown = async () => {
    for (const n of nodes) await tryIp('netns', 'del', n.netns);
    await tryIp('link', 'del', bridge);
  };
  try {
    await ip('link', 'add', bridge, 'type', 'bridge');
    await ip('addr', 'add', `${gateway}/24`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    for (let i = 1; i <= count; i++) {
      const node: HostNode = { name: `kite-node-${i}`, netns: `${prefix}-${i}`, ip: `172.30.${x}.${10 + i}` };
      nodes.push(node);
      await ip('netns', 'add', node.netns);
      await ip('link', 'add', `${prefix}v${i}`, 'type', 'veth', 'peer', 'name', `${prefix}n${i}`);
      await ip('link', 'set', `${prefix}n${i}`, 'netns', node.netns);
      await ip('-n', node.netns, 'link', 'set', `${prefix}n${i}`, 'name', 'eth0');
      await ip('-n', node.netns, 'addr', 'add', `${node.ip}/24`, 'dev', 'eth0');
      await ip('-n', node.netns, 'link', 'set', 'eth0', 'up');
      await ip('-n', node.netns, 'link', 'set', 'lo', 'up');
      await ip('link', 'set', `${prefix}v${i}`, 'master', bridge);
      await ip('link', 'set', `${prefix}v${i}`, 'up');
      // The node routes between its pods and the other nodes' pods.
      await run('ip', ['netns', 'exec', node.netns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    }
  } catch (e) {
    await teardown();
    throw e;
  }
  return { prefix, bridge, subnet: `172.30.${x}.0/24`, gateway, nodes, teardown };
}

/** Adds or replaces `podCIDR via nodeIP` in every other node's namespace. */
export async function routePodCIDR(net: HostNetwork, owner: HostNode, podCIDR: string): Promise<void> {
  for (const n of net.nodes) {
    if (n === owner) continue;
    await ip('-n', n.netns, 'route', 'replace', podCIDR, 'via', owner.ip, 'dev', 'eth0');
  }
}

export async function unroutePodCIDR(net: HostNetwork, owner: HostNode, podCIDR: string): Promise<void> {
  for (const n of net.nodes) if (n !== owner) await tryIp('-n', n.netns, 'route', 'del', podCIDR, 'via', owner.ip);
}
