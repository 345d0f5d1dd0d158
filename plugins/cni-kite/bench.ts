// `npm run bench network`: (a) pod network setup time, ADD then DEL for N pods, kite-bridge vs
// Debian's reference bridge + host-local, interleaved in the same run; (b) pod-to-pod TCP
// throughput (iperf3) and request/response latency across two "nodes" (namespaces joined by a
// veth, pod subnets routed between them) for each plugin, next to two namespaces joined by a
// bare veth (the limit). The datapath runs in rounds, each visiting every path, so a busy
// machine disturbs all paths alike. Options: --pods N (100), --seconds S (iperf3 run, 3),
// --rounds N (3), --roundtrips N (latency samples per round, 2000), --json path.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable, Progress, summarize, writeJson, type Benchmark, type Row } from '../../kernel/bench/report.js';
import { CniNetwork, invokePlugin, type ConfList } from '../../conformance/plugins/cni/invoke.js';
import { createNetns, sh, sweepStaleNetns, type Netns } from '../../conformance/plugins/cni/netns.js';
import { installCniBinaries } from './install.js';

const PREFIX = 'kbench';
const REFERENCE_DIR = '/usr/lib/cni';
type Register = (fn: () => Promise<unknown> | unknown) => void;

interface PluginUnderTest {
  label: string;
  cniPath: string;
  /** The conflist for one node's pod subnet (third octet `n`). */
  conf(name: string, n: number, bridge: string): ConfList;
}

function plugins(kiteBin: string, dataDir: string): PluginUnderTest[] {
  return [
    {
      label: 'kite-bridge',
      cniPath: kiteBin,
      conf: (name, n, bridge) => ({ cniVersion: '1.1.0', name, plugins: [{ type: 'kite-bridge', bridge, ipam: { type: 'kite-ipam', subnet: `198.18.${n}.0/24`, dataDir } }] }),
    },
    {
      label: 'reference bridge+host-local',
      cniPath: REFERENCE_DIR,
      conf: (name, n, bridge) => ({ cniVersion: '1.0.0', name, plugins: [{ type: 'bridge', bridge, isGateway: true, isDefaultGateway: true, ipam: { type: 'host-local', subnet: `198.18.${n}.0/24`, dataDir } }] }),
    },
  ];
}

async function setupTimes(list: PluginUnderTest[], pods: number, register: Register): Promise<Row[]> {
  const rigs = await Promise.all(list.map(async (p, i) => {
    const node = await createNetns(PREFIX, register);
    const pod = await createNetns(PREFIX, register);
    return { p, pod, net: new CniNetwork(p.conf(`bench-setup-${i}`, 40 + i, 'kbset0'), p.cniPath, node.path), add: [] as number[], del: [] as number[], start: [] as number[] };
  }));
  const progress = new Progress('pod network setup', pods);
  for (let i = 0; i < pods; i++) {
    // Interleaved, so both plugins see the same machine load over the run.
    for (const rig of rigs) {
      const att = { containerID: `bench-${i}`, ifname: 'eth0', netns: rig.pod.path };
      let t0 = performance.now();
      await rig.net.add(att);
      rig.add.push(performance.now() - t0);
      t0 = performance.now();
      await rig.net.del(att);
      rig.del.push(performance.now() - t0);
      const v = await invokePlugin(rig.net.confList.plugins[0]!.type, { cniPath: rig.p.cniPath, env: { CNI_COMMAND: 'VERSION' }, stdin: '{}' });
      rig.start.push(v.ms);
    }
    progress.tick(i + 1);
  }
  progress.done();
  return rigs.map((rig) => {
    const a = summarize(rig.add);
    const d = summarize(rig.del);
    const v = summarize(rig.start);
    return { plugin: rig.p.label, pods, 'ADD p50 ms': a.p50, 'ADD p99 ms': a.p99, 'DEL p50 ms': d.p50, 'DEL p99 ms': d.p99, 'VERSION p50 ms (process start)': v.p50 };
  });
}

interface Pair {
  label: string;
  a: Netns;
  b: Netns;
  /** Address of pod b, as seen from pod a. */
  bIp: string;
}

/** Two node namespaces joined by a veth, one pod on each wired by the plugin, routes between them. */
async function twoNodes(p: PluginUnderTest, index: number, register: Register): Promise<Pair> {
  const [node1, node2, a, b] = [await createNetns(PREFIX, register), await createNetns(PREFIX, register), await createNetns(PREFIX, register), await createNetns(PREFIX, register)];
  const link = `198.18.${60 + index}`;
  const [s1, s2] = [70 + index * 2, 71 + index * 2];
  await sh('ip', ['link', 'add', 'kbn1', 'netns', node1.name, 'type', 'veth', 'peer', 'name', 'kbn2', 'netns', node2.name]);
  await node1.exec('sh', ['-c', `ip addr add ${link}.1/24 dev kbn1 && ip link set kbn1 up && ip route add 198.18.${s2}.0/24 via ${link}.2`]);
  await node2.exec('sh', ['-c', `ip addr add ${link}.2/24 dev kbn2 && ip link set kbn2 up && ip route add 198.18.${s1}.0/24 via ${link}.1`]);
  const net1 = new CniNetwork(p.conf(`bench-n1-${index}`, s1, 'kbpod0'), p.cniPath, node1.path);
  const net2 = new CniNetwork(p.conf(`bench-n2-${index}`, s2, 'kbpod0'), p.cniPath, node2.path);
  const attA = { containerID: `pod-a-${index}`, ifname: 'eth0', netns: a.path };
  const attB = { containerID: `pod-b-${index}`, ifname: 'eth0', netns: b.path };
  await net1.add(attA);
  register(() => net1.del(attA));
  const rb = await net2.add(attB);
  register(() => net2.del(attB));
  for (const node of [node1, node2]) await node.exec('sh', ['-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
  const bIp = ((rb.ips as Array<{ address: string }>)[0]!.address).split('/')[0]!;
  return { label: `${p.label} (pod→pod across nodes)`, a, b, bIp };
}

/** Two namespaces joined by nothing but a veth: the same test with no bridge, routing or plugin. */
async function bareVeth(register: Register): Promise<Pair> {
  const [a, b] = [await createNetns(PREFIX, register), await createNetns(PREFIX, register)];
  await sh('ip', ['link', 'add', 'kbv', 'netns', a.name, 'type', 'veth', 'peer', 'name', 'kbv', 'netns', b.name]);
  await a.exec('sh', ['-c', 'ip addr add 198.18.90.1/24 dev kbv && ip link set kbv up']);
  await b.exec('sh', ['-c', 'ip addr add 198.18.90.2/24 dev kbv && ip link set kbv up']);
  return { label: 'plain veth, no Kite (the limit)', a, b, bIp: '198.18.90.2' };
}

function waitForOutput(child: ChildProcess, text: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => { seen += d.toString(); if (seen.includes(text)) { clearTimeout(timer); resolve(); } });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}): ${seen}`)); });
  });
}

async function throughput(pair: Pair, seconds: number, register: Register): Promise<number> {
  const server = pair.b.spawn('iperf3', ['-s', '-1', '-p', '5301', '--forceflush']);
  register(() => server.kill('SIGKILL'));
  await waitForOutput(server, 'listening', 'iperf3 server');
  const text = await pair.a.exec('iperf3', ['-c', pair.bIp, '-p', '5301', '-t', String(seconds), '-J']).catch((err: { stdout?: string }) => err.stdout ?? String(err));
  const out = JSON.parse(text) as { end?: { sum_received?: { bits_per_second: number } }; error?: string };
  const bps = out.end?.sum_received?.bits_per_second;
  if (bps === undefined) throw new Error(`iperf3 ${pair.label}: ${out.error ?? text.slice(0, 300)}`);
  return bps / 1e9;
}

const ECHO_SERVER = `require('net').createServer((s) => { s.setNoDelay(true); s.on('data', (d) => s.write(d)); }).listen(5302, '0.0.0.0', () => console.log('ready'))`;
const RR_CLIENT = (ip: string, n: number) => `
const s = require('net').connect(5302, '${ip}'); s.setNoDelay(true);
const lat = []; let t0 = 0; let i = 0; const warm = 200;
const ping = () => { t0 = process.hrtime.bigint(); s.write('x'); };
s.on('connect', ping);
s.on('data', () => { if (i++ >= warm) lat.push(Number(process.hrtime.bigint() - t0) / 1e3); if (lat.length < ${n}) ping(); else { console.log(JSON.stringify(lat)); s.destroy(); } });
s.on('error', (e) => { console.error(e.message); process.exit(1); });`;

async function latency(pair: Pair, roundtrips: number, register: Register): Promise<number[]> {
  const server = pair.b.spawn(process.execPath, ['-e', ECHO_SERVER]);
  register(() => server.kill('SIGKILL'));
  await waitForOutput(server, 'ready', 'echo server');
  const samples = JSON.parse(await pair.a.exec(process.execPath, ['-e', RR_CLIENT(pair.bIp, roundtrips)])) as number[];
  server.kill('SIGKILL');
  return samples;
}

function intFlag(flags: Map<string, string | true>, name: string, fallback: number): number {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${String(v)}`);
  return n;
}

export const benchmark: Benchmark = {
  area: 'network',
  description: 'pod network setup time and pod-to-pod throughput/latency: kite-bridge vs reference CNI plugins vs plain veth',
  async run(args) {
    if (process.getuid?.() !== 0) throw new Error('network benchmark: needs root (network namespaces)');
    for (const [what, path] of [['iperf3', '/usr/bin/iperf3'], ['reference bridge plugin', join(REFERENCE_DIR, 'bridge')]]) {
      if (!existsSync(path!)) throw new Error(`network benchmark: ${what} not found at ${path} (npm run setup installs it)`);
    }
    const pods = intFlag(args.flags, 'pods', 100);
    const seconds = intFlag(args.flags, 'seconds', 3);
    const rounds = intFlag(args.flags, 'rounds', 3);
    const roundtrips = intFlag(args.flags, 'roundtrips', 2000);
    await sweepStaleNetns(PREFIX);
    const work = mkdtempSync(join(tmpdir(), 'kite-bench-network-'));
    const cleanups: Array<() => Promise<unknown> | unknown> = [];
    const register: Register = (fn) => cleanups.push(fn);
    try {
      const list = plugins(join(work, 'bin'), join(work, 'ipam'));
      installCniBinaries(join(work, 'bin'));
      const setup = await setupTimes(list, pods, register);
      process.stdout.write(`Pod network setup (sequential ADD then DEL, ${pods} pods each, interleaved):\n${formatTable(setup)}\n`);
      const pairs = [...(await Promise.all(list.map((p, i) => twoNodes(p, i, register)))), await bareVeth(register)];
      const gbps = pairs.map(() => [] as number[]);
      const rtts = pairs.map(() => [] as number[]);
      const progress = new Progress('pod-to-pod', rounds * pairs.length);
      for (let round = 0; round < rounds; round++) {
        for (const [i, pair] of pairs.entries()) {
          progress.tick(round * pairs.length + i);
          gbps[i]!.push(await throughput(pair, seconds, register));
          rtts[i]!.push(...(await latency(pair, roundtrips, register)));
        }
      }
      progress.done();
      const datapath: Row[] = pairs.map((pair, i) => {
        const tp = summarize(gbps[i]!);
        const rr = summarize(rtts[i]!);
        return { path: pair.label, 'TCP Gbit/s median': tp.p50, 'min': Math.min(...gbps[i]!), 'max': tp.max, 'RR p50 µs': rr.p50, 'RR p99 µs': rr.p99 };
      });
      process.stdout.write(`Pod-to-pod (${rounds} rounds of iperf3 ${seconds} s and ${roundtrips} 1-byte TCP request/responses per path):\n${formatTable(datapath)}`);
      writeJson(args.json, { area: 'network', pods, seconds, rounds, roundtrips, setup, datapath, throughputGbps: Object.fromEntries(pairs.map((p, i) => [p.label, gbps[i]])) });
    } finally {
      for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch(() => undefined);
      rmSync(work, { recursive: true, force: true });
    }
  },
};
