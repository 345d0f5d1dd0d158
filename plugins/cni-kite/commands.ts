// The CNI commands of kite-bridge: ADD wires a veth pair between the pod's namespace and the
// node's bridge, DEL undoes it (idempotently), CHECK compares the live state with prevResult,
// GC frees what unknown attachments hold, STATUS says whether an ADD could succeed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { formatIPv4 } from '../../kernel/net/ipv4.js';
import { claim, collectGarbage, findAllocation, freeAddresses, release } from './ipam.js';
import { containerMac, failedLine, hostVethName, ipBatch, ipMessage, localInterfaces, parseJsonLines } from './iproute.js';
import { ensureMasquerade } from './masq.js';
import type { Attachment, NetConf } from './setup.js';
import { CniError, ErrorCode, compareVersions, resultForVersion, type CniInterface, type CniResult } from './spec.js';

export interface CniEnv extends Attachment {
  netns: string;
}

interface IpLink {
  ifname: string;
  address?: string;
  master?: string;
  mtu?: number;
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}

/** An address in CIDR notation (`10.244.1.5/24`), as CNI results and iproute2 write it. */
function withPrefix(ip: number, prefix: number): string {
  return `${formatIPv4(ip)}/${prefix}`;
}

function setupFailed(what: string, why: string): CniError {
  return new CniError(ErrorCode.InterfaceSetupFailed, `kite-bridge: ${what}: ${why}`);
}

function requireNetns(env: CniEnv): void {
  if (!env.netns) throw new CniError(ErrorCode.InvalidEnvironment, 'required env variables [CNI_NETNS] missing');
  if (!existsSync(env.netns)) throw new CniError(ErrorCode.InvalidEnvironment, `CNI_NETNS ${env.netns} does not exist`);
}

function enableForwarding(): void {
  const path = '/proc/sys/net/ipv4/ip_forward';
  try {
    if (readFileSync(path, 'utf8').trim() !== '1') writeFileSync(path, '1');
  } catch (err) {
    throw new CniError(ErrorCode.IoFailure, `kite-bridge: cannot enable IPv4 forwarding: ${(err as Error).message}`);
  }
}

/** Host side: bridge (created if missing), gateway address, veth enslaved; returns both links. */
async function wireHostSide(conf: NetConf, veth: string): Promise<{ bridge: IpLink; veth: IpLink }> {
  const tail = [
    `link set ${conf.bridge} up`,
    ...(conf.isGateway ? [`addr replace ${withPrefix(conf.ipam.gateway, conf.ipam.subnet.prefix)} dev ${conf.bridge}`] : []),
    `link set ${veth} master ${conf.bridge} up`,
    ...(conf.hairpinMode ? [`link set ${veth} type bridge_slave hairpin on`] : []),
    `link show dev ${conf.bridge}`,
    `link show dev ${veth}`,
  ];
  // A fixed MAC (0a:58 + gateway address) keeps the bridge from taking a port's, which changes as pods come and go.
  const create = `link add ${conf.bridge} mtu ${conf.mtu} address ${containerMac(conf.ipam.gateway)} type bridge`;
  let run = await ipBatch(localInterfaces().has(conf.bridge) ? tail : [create, ...tail], { json: true });
  // Another ADD may have created the bridge between our look and our `link add`.
  if (run.code !== 0 && failedLine(run) === 1 && localInterfaces().has(conf.bridge)) run = await ipBatch(tail, { json: true });
  if (run.code !== 0) throw setupFailed(`cannot attach ${veth} to bridge ${conf.bridge}`, ipMessage(run));
  const [bridge, hostVeth] = parseJsonLines<IpLink>(run.stdout).map((d) => d[0]);
  if (!bridge || !hostVeth) throw setupFailed('unexpected output of ip link show', run.stdout.slice(0, 200));
  if (conf.isGateway) enableForwarding();
  return { bridge, veth: hostVeth };
}

export async function cmdAdd(conf: NetConf, env: CniEnv): Promise<CniResult> {
  requireNetns(env);
  const ipam = conf.ipam;
  const { ip, fresh } = claim(ipam, env);
  const veth = hostVethName(env.containerID, env.ifname);
  const mac = containerMac(ip);
  const gateway = formatIPv4(ipam.gateway);
  let created = false;
  try {
    const run = await ipBatch([
      // Created inside the pod's namespace with the peer moved out to ours in one request, so
      // the pod side never appears on the host under a temporary name.
      `link add ${env.ifname} mtu ${conf.mtu} address ${mac} type veth peer name ${veth} mtu ${conf.mtu} netns ${process.pid}`,
      `addr add ${withPrefix(ip, ipam.subnet.prefix)} dev ${env.ifname}`,
      `link set ${env.ifname} up`,
      ...ipam.routes.map((r) => `route add ${r.dst} via ${r.gw ?? gateway} dev ${env.ifname}`),
    ], { netnsPath: env.netns });
    created = run.code === 0 || (failedLine(run) ?? 1) > 1;
    if (run.code !== 0) throw setupFailed(`cannot set up ${env.ifname} in ${env.netns}`, ipMessage(run));
    const host = await wireHostSide(conf, veth);
    if (conf.ipMasq) await ensureMasquerade(conf);
    const interfaces: CniInterface[] = [
      { name: conf.bridge, ...(host.bridge.address ? { mac: host.bridge.address } : {}), ...(host.bridge.mtu ? { mtu: host.bridge.mtu } : {}) },
      { name: veth, ...(host.veth.address ? { mac: host.veth.address } : {}), mtu: conf.mtu },
      { name: env.ifname, mac, mtu: conf.mtu, sandbox: env.netns },
    ];
    const prev = conf.prevResult;
    const offset = prev?.interfaces?.length ?? 0;
    return resultForVersion({
      cniVersion: conf.cniVersion,
      interfaces: [...(prev?.interfaces ?? []), ...interfaces],
      ips: [...(prev?.ips ?? []), { address: withPrefix(ip, ipam.subnet.prefix), gateway, interface: offset + 2 }],
      routes: [...(prev?.routes ?? []), ...ipam.routes.map((r) => ({ dst: r.dst, gw: r.gw ?? gateway }))],
      dns: prev?.dns ?? {},
    }, conf.cniVersion);
  } catch (err) {
    if (created) await ipBatch([`link del ${veth}`]);
    if (fresh) release(ipam.dir, env);
    throw err;
  }
}

export async function cmdDel(conf: NetConf, env: Attachment): Promise<void> {
  // Deleting the host end removes the pair; a pod namespace that is gone took both ends with it.
  const veth = hostVethName(env.containerID, env.ifname);
  if (localInterfaces().has(veth)) {
    const run = await ipBatch([`link del ${veth}`]);
    if (run.code !== 0 && localInterfaces().has(veth)) throw setupFailed(`cannot delete ${veth}`, ipMessage(run));
  }
  release(conf.ipam.dir, env);
}

function checkFailed(why: string): CniError {
  return new CniError(ErrorCode.CheckFailed, `kite-bridge CHECK: ${why}`);
}

export async function cmdCheck(conf: NetConf, env: CniEnv): Promise<void> {
  if (compareVersions(conf.cniVersion, '0.4.0') < 0) throw new CniError(ErrorCode.IncompatibleVersion, `CHECK needs cniVersion 0.4.0 or later, config has ${conf.cniVersion}`);
  const prev = conf.prevResult;
  if (!prev) throw new CniError(ErrorCode.InvalidNetworkConfig, 'invalid network config: prevResult: required for CHECK');
  requireNetns(env);
  const ifaces = prev.interfaces ?? [];
  const index = ifaces.findIndex((i) => i.name === env.ifname && i.sandbox !== undefined);
  if (index < 0) throw checkFailed(`prevResult has no interface ${env.ifname} in a sandbox`);
  const want = ifaces[index]!;
  const run = await ipBatch([`addr show dev ${env.ifname}`, 'route show'], { netnsPath: env.netns, json: true });
  if (run.code !== 0) throw checkFailed(`interface ${env.ifname} in ${env.netns}: ${ipMessage(run)}`);
  const [links = [], routes = []] = parseJsonLines<IpLink & IpRoute>(run.stdout);
  const link = links[0];
  if (!link) throw checkFailed(`interface ${env.ifname} not found in ${env.netns}`);
  if (want.mac && link.address !== want.mac) throw checkFailed(`${env.ifname} has MAC ${link.address}, prevResult says ${want.mac}`);
  const have = new Set((link.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`));
  for (const ip of prev.ips ?? []) {
    if (ip.interface !== index) continue;
    if (!have.has(ip.address)) throw checkFailed(`${env.ifname} lacks address ${ip.address} (has ${[...have].join(', ') || 'none'})`);
    const alloc = findAllocation(conf.ipam.dir, env);
    if (!alloc || withPrefix(alloc.ip, conf.ipam.subnet.prefix) !== ip.address) throw checkFailed(`kite-ipam holds no allocation of ${ip.address} for this container`);
  }
  const routeKey = (dst: string, gw?: string) => `${dst === '0.0.0.0/0' ? 'default' : dst} ${gw ?? ''}`;
  const liveRoutes = new Set(routes.map((r) => routeKey(r.dst, r.gateway)));
  for (const r of prev.routes ?? []) {
    if (r.dst.includes(':')) continue;
    if (!liveRoutes.has(routeKey(r.dst, r.gw))) throw checkFailed(`route ${r.dst}${r.gw ? ` via ${r.gw}` : ''} missing in ${env.netns}`);
  }
  const veth = hostVethName(env.containerID, env.ifname);
  const host = await ipBatch([`link show dev ${veth}`], { json: true });
  const hostLink = host.code === 0 ? parseJsonLines<IpLink>(host.stdout)[0]?.[0] : undefined;
  if (!hostLink) throw checkFailed(`host-side veth ${veth} missing`);
  if (hostLink.master !== conf.bridge) throw checkFailed(`${veth} is not on bridge ${conf.bridge}`);
}

export async function cmdGc(conf: NetConf): Promise<void> {
  if (compareVersions(conf.cniVersion, '1.1.0') < 0) throw new CniError(ErrorCode.IncompatibleVersion, `GC needs cniVersion 1.1.0, config has ${conf.cniVersion}`);
  // Without the list every allocation would look stale: refuse rather than free them all.
  const valid = conf.validAttachments;
  if (!valid) throw new CniError(ErrorCode.InvalidNetworkConfig, 'invalid network config: cni.dev/valid-attachments: required for GC');
  collectGarbage(conf.ipam, valid);
  // Host veths on this network's bridge that belong to no valid attachment leaked (e.g. a pod
  // namespace kept alive by a stray process after its DEL was lost): remove them too.
  if (!localInterfaces().has(conf.bridge)) return;
  const ports = await ipBatch([`link show master ${conf.bridge}`], { json: true });
  const keep = new Set(valid.map((a) => hostVethName(a.containerID, a.ifname)));
  const stale = (parseJsonLines<IpLink>(ports.stdout)[0] ?? []).map((l) => l.ifname).filter((n) => /^veth[0-9a-f]{8}$/.test(n) && !keep.has(n));
  if (stale.length > 0) await ipBatch(stale.map((n) => `link del ${n}`));
}

export function cmdStatus(conf: NetConf): void {
  if (compareVersions(conf.cniVersion, '1.1.0') < 0) throw new CniError(ErrorCode.IncompatibleVersion, `STATUS needs cniVersion 1.1.0, config has ${conf.cniVersion}`);
  if (freeAddresses(conf.ipam) <= 0) throw new CniError(ErrorCode.PluginNotAvailable, `kite-ipam: no free address left in network ${conf.name}`);
}
