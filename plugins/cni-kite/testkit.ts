// Shared by kite-bridge's integration tests: the executable installed in a temp dir, a namespace
// acting as the node, pod namespaces on demand, and views of the node's veths and of kite-ipam's
// files. Everything is removed at teardown, also when a test fails.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CniNetwork, type ConfList } from '../../conformance/plugins/cni/invoke.js';
import { createNetns, linkNames, sweepStaleNetns, type Netns } from '../../conformance/plugins/cni/netns.js';
import { installCniBinaries } from './install.js';

type Json = Record<string, unknown>;

export interface CniRig {
  cniPath: string;
  host: Netns;
  /** A kite-bridge network on the rig's bridge (`<prefix>0`) with IPAM under the rig's temp dir. */
  network(name: string, subnet: string, extra?: Json): CniNetwork;
  /** Addresses kite-ipam holds for a network (its files). */
  allocations(name: string): string[];
  /** veth interfaces in the node namespace. */
  hostVeths(): Promise<string[]>;
  /** The i-th pod namespace, created on first use. */
  podNs(i: number): Promise<Netns>;
  newNetns(): Promise<Netns>;
  /** A registered cleanup, run (in reverse) at teardown. */
  cleanup(fn: () => unknown): void;
}

export function att(ns: Netns, id: string) {
  return { containerID: id, ifname: 'eth0', netns: ns.path };
}

export function address(result: Json): string {
  return ((result.ips as Array<{ address: string }>)[0] as { address: string }).address;
}

export async function startCniRig(t: { teardown(fn: () => unknown): void }, prefix: string): Promise<CniRig> {
  await sweepStaleNetns(prefix);
  const work = mkdtempSync(join(tmpdir(), `kite-cni-${prefix}-`));
  const cleanups: Array<() => unknown> = [];
  t.teardown(async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });
  const cniPath = join(work, 'bin');
  installCniBinaries(cniPath);
  const register = (fn: () => unknown) => cleanups.push(fn);
  const host = await createNetns(prefix, register);
  const ipamRoot = join(work, 'ipam');
  const pods: Netns[] = [];
  return {
    cniPath,
    host,
    network: (name, subnet, extra = {}) => new CniNetwork(
      { cniVersion: '1.1.0', name, plugins: [{ type: 'kite-bridge', bridge: `${prefix}0`, ipam: { type: 'kite-ipam', subnet, dataDir: ipamRoot }, ...extra }] } as ConfList,
      cniPath, host.path),
    allocations: (name) => (existsSync(join(ipamRoot, name)) ? readdirSync(join(ipamRoot, name)).filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n)) : []),
    hostVeths: async () => (await linkNames(host)).filter((n) => n.startsWith('veth')),
    podNs: async (i) => (pods[i] ??= await createNetns(prefix, register)),
    newNetns: () => createNetns(prefix, register),
    cleanup: register,
  };
}
