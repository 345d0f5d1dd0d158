// The CNI contract suite: runs a plugin chain (a conflist, or one config) through VERSION, ADD,
// CHECK, DEL, GC and STATUS in network namespaces it creates, and checks the answers against the
// CNI specification. Plugins run inside a namespace acting as the node, so nothing touches the
// machine's own network; pods are namespaces with no route out. See README.md for vendors.
import type { Test } from 'tap';
import { cidrContains, cidrSize, formatIPv4, parseCidr, parseIPv4, type Cidr } from '../../../kernel/net/ipv4.js';
import { CniInvokeError, CniNetwork, asConfList, invokePlugin, type Attachment, type ConfList, type InvokeResult, type PluginConf } from './invoke.js';
import { createNetns, deleteNetns, sweepStaleNetns, type Netns } from './netns.js';

/** Where a plugin legitimately differs from the strictest reading; each one is reported. */
export interface Deviations {
  /** Without CNI_COMMAND the plugin prints an "about" text and exits 0 (libcni's skel does). */
  missingCommandPrintsAbout?: boolean;
  /** The error code for an ADD whose CNI_NETNS does not exist, if not 3 or 4 (skel: 999). */
  badNetnsCode?: number;
  /** Error objects lack `cniVersion` (libcni 1.1 skel output). */
  errorsWithoutCniVersion?: boolean;
}

export interface CniConformanceOptions {
  /** Shown in test names. */
  name: string;
  confList: ConfList | (PluginConf & { name: string; cniVersion: string });
  /** Directories holding the plugin executables, `:`-separated. */
  cniPath: string;
  /** The pod subnet; read from the first plugin's `ipam.subnet` or `ipam.ranges[0][0].subnet` if unset. */
  subnet?: string;
  /** Returns the conflist restricted to the pool [first, last]; default sets ipam.rangeStart/rangeEnd. */
  withPool?: (confList: ConfList, first: string, last: string) => ConfList;
  deviations?: Deviations;
  /** Prefix of the namespaces this run creates (default `cnicf`). */
  netnsPrefix?: string;
}

const IFNAME = 'eth0';
type Json = Record<string, unknown>;

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function subnetOf(confList: ConfList, override?: string): Cidr {
  let text = override;
  for (const p of confList.plugins) {
    const ipam = p.ipam as { subnet?: string; ranges?: Array<Array<{ subnet?: string }>> } | undefined;
    text ??= ipam?.subnet ?? ipam?.ranges?.[0]?.[0]?.subnet;
  }
  const net = text ? parseCidr(text) : undefined;
  if (!net) throw new Error(`cannot tell the pod subnet of ${confList.name}: pass options.subnet`);
  return net;
}

/** Default pool restriction: every plugin with an `ipam` section gets rangeStart/rangeEnd. */
export function defaultWithPool(confList: ConfList, first: string, last: string): ConfList {
  return {
    ...confList,
    plugins: confList.plugins.map((p) => {
      const ipam = p.ipam as Json | undefined;
      if (!ipam) return p;
      if (Array.isArray(ipam.ranges)) {
        const subnet = (ipam.ranges as Array<Array<Json>>)[0]?.[0]?.subnet;
        return { ...p, ipam: { ...ipam, ranges: [[{ subnet, rangeStart: first, rangeEnd: last }]] } };
      }
      return { ...p, ipam: { ...ipam, rangeStart: first, rangeEnd: last } };
    }),
  };
}

/** "a.b.c.d/p" with host bits (an interface address) as address and prefix. */
function parseInterfaceAddress(text: string): { address: number; prefix: number } | undefined {
  const [ip = '', bits = ''] = text.split('/');
  const address = parseIPv4(ip);
  return address !== undefined && /^\d{1,2}$/.test(bits) && Number(bits) <= 32 ? { address, prefix: Number(bits) } : undefined;
}

function errorOf(err: unknown): InvokeResult {
  if (err instanceof CniInvokeError) return err.result;
  throw err;
}

function firstAddress(result: Json): string {
  const ips = result.ips as Array<{ address: string }> | undefined;
  const address = ips?.[0]?.address;
  if (!address) throw new Error(`result has no ips: ${JSON.stringify(result)}`);
  return address;
}

export async function runCniConformance(t: Test, opts: CniConformanceOptions): Promise<void> {
  const confList = asConfList(opts.confList);
  const version = confList.cniVersion;
  const subnet = subnetOf(confList, opts.subnet);
  const dev = opts.deviations ?? {};
  const prefix = opts.netnsPrefix ?? 'cnicf';
  await sweepStaleNetns(prefix);

  // One teardown, run in reverse: DELs before the namespaces they refer to go away.
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  t.teardown(async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch(() => undefined);
  });
  const host = await createNetns(prefix, (fn) => cleanups.push(fn));
  const net = new CniNetwork(confList, opts.cniPath, host.path);
  let podCount = 0;
  const pod = async (network = net): Promise<Attachment & { ns: Netns }> => {
    const ns = await createNetns(prefix, (fn) => cleanups.push(fn));
    const att = { containerID: `cnicf-${process.pid}-${++podCount}`, ifname: IFNAME, netns: ns.path, ns };
    cleanups.push(() => network.del(att));
    return att;
  };

  let supportsCheck = compareVersions(version, '0.4.0') >= 0;
  let supportsGcStatus = compareVersions(version, '1.1.0') >= 0;

  await t.test(`${opts.name}: VERSION lists the config's cniVersion`, async (t) => {
    for (const plugin of confList.plugins) {
      const res = await net.version(plugin);
      t.equal(res.exitCode, 0, `${plugin.type} VERSION exits 0`);
      const supported = (res.json?.supportedVersions ?? []) as string[];
      t.ok(Array.isArray(supported) && supported.includes(version), `${plugin.type} supportedVersions ${JSON.stringify(supported)} include ${version}`);
      if (!supported.includes('1.1.0')) supportsGcStatus = false;
      if (!supported.includes('0.4.0') && !supported.includes('1.0.0')) supportsCheck = false;
    }
  });

  const podA = await pod();
  let resultA: Json = {};
  await t.test(`${opts.name}: ADD result follows the spec and matches the namespace`, async (t) => {
    resultA = await net.add(podA);
    t.equal(resultA.cniVersion, version, 'result cniVersion is the config cniVersion');
    const interfaces = resultA.interfaces as Array<{ name: string; mac?: string; sandbox?: string }>;
    const ips = resultA.ips as Array<{ address: string; gateway?: string; interface?: number; version?: string }>;
    t.ok(Array.isArray(interfaces), 'interfaces is a list');
    t.ok(Array.isArray(ips) && ips.length > 0, 'ips is a non-empty list');
    for (const i of interfaces) {
      t.type(i.name, 'string', `interface ${i.name} has a name`);
      if (i.mac !== undefined) t.match(i.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, `interface ${i.name} mac is a MAC address`);
    }
    const sandboxed = interfaces.filter((i) => i.sandbox !== undefined);
    t.same(sandboxed.map((i) => [i.name, i.sandbox]), [[IFNAME, podA.netns]], 'exactly the container interface carries sandbox = CNI_NETNS');
    const live = JSON.parse(await podA.ns.exec('ip', ['-j', 'addr', 'show', 'dev', IFNAME])) as Array<{ address: string; addr_info: Array<{ family: string; local: string; prefixlen: number }> }>;
    const liveAddrs = (live[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
    for (const ip of ips) {
      const cidr = parseInterfaceAddress(ip.address);
      t.ok(cidr && cidr.prefix === subnet.prefix && cidrContains(subnet, cidr.address), `${ip.address} is a CIDR inside ${formatIPv4(subnet.base)}/${subnet.prefix}`);
      t.type(ip.interface, 'number', `${ip.address} names its interface by index`);
      t.equal(interfaces[ip.interface ?? -1]?.sandbox, podA.netns, `${ip.address} belongs to the sandboxed interface`);
      if (ip.gateway !== undefined) t.ok(parseIPv4(ip.gateway) !== undefined && cidrContains(subnet, parseIPv4(ip.gateway)!), `gateway ${ip.gateway} is inside the subnet`);
      if (compareVersions(version, '1.0.0') < 0) t.equal(ip.version, '4', `${version} result carries version "4"`);
      else t.equal(ip.version, undefined, `${version} result has no per-IP version`);
      t.ok(liveAddrs.includes(ip.address), `${IFNAME} in the pod namespace has ${ip.address} (has ${liveAddrs.join(', ')})`);
    }
    const mac = sandboxed[0]?.mac;
    if (mac) t.equal(live[0]?.address, mac, 'the live interface has the reported MAC');
  });

  const podB = await pod();
  await t.test(`${opts.name}: two pods on the network reach each other over TCP and UDP`, async (t) => {
    const resultB = await net.add(podB);
    const ipA = firstAddress(resultA).split('/')[0] as string;
    t.not(firstAddress(resultB), firstAddress(resultA), 'the pods have different addresses');
    const port = 7000 + (process.pid % 1000);
    const server = podA.ns.spawn(process.execPath, ['-e', `require('net').createServer((s) => s.end('pong from A')).listen(${port}, '0.0.0.0', () => console.log('ready'))`]);
    cleanups.push(() => server.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('TCP listener in pod A did not start')), 30_000);
      server.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('ready')) { clearTimeout(timer); resolve(); } });
      server.on('exit', () => { clearTimeout(timer); reject(new Error('TCP listener in pod A exited')); });
    });
    const reply = await podB.ns.exec(process.execPath, ['-e', `const s = require('net').connect(${port}, '${ipA}'); let d = ''; s.on('data', (x) => (d += x)); s.on('end', () => console.log(d)); s.on('error', (e) => { console.error(e.message); process.exit(1); }); setTimeout(() => process.exit(2), 20000).unref();`]);
    t.equal(reply.trim(), 'pong from A', `pod B (${firstAddress(resultB)}) reached pod A (${ipA}) over TCP`);
    server.kill('SIGKILL');
    const udpServer = podA.ns.spawn(process.execPath, ['-e', `const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send('udp pong', r.port, r.address)); s.bind(${port}, '0.0.0.0', () => console.log('ready'))`]);
    cleanups.push(() => udpServer.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('UDP listener in pod A did not start')), 30_000);
      udpServer.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('ready')) { clearTimeout(timer); resolve(); } });
    });
    // Datagrams may be lost (e.g. while ARP resolves): resend until a reply or 20 s.
    const udpReply = await podB.ns.exec(process.execPath, ['-e', `const s = require('dgram').createSocket('udp4'); const send = () => s.send('ping', ${port}, '${ipA}'); s.on('message', (m) => { console.log(String(m)); process.exit(0); }); send(); setInterval(send, 200); setTimeout(() => process.exit(2), 20000);`]);
    t.equal(udpReply.trim(), 'udp pong', 'pod B reached pod A over UDP');
    udpServer.kill('SIGKILL');
  });

  await t.test(`${opts.name}: CHECK passes after ADD and fails after tampering`, async (t) => {
    if (!supportsCheck) {
      t.pass('CHECK skipped', { skip: `CHECK is not defined for cniVersion ${version} (needs 0.4.0+)` });
      return;
    }
    await net.check(podA, resultA);
    t.pass('CHECK after ADD succeeds');
    await podA.ns.exec('ip', ['addr', 'del', firstAddress(resultA), 'dev', IFNAME]);
    const res = await net.check(podA, resultA).then(() => undefined, errorOf);
    t.ok(res, 'CHECK fails once the address is removed from the interface');
    if (res) t.type(res.json?.code, 'number', `CHECK failure is an error object (${res.stdout.trim()})`);
  });

  await t.test(`${opts.name}: DEL is idempotent`, async (t) => {
    await net.del(podA, resultA);
    t.pass('DEL succeeds');
    await net.del(podA, resultA);
    t.pass('DEL again succeeds');
    await net.del({ containerID: podA.containerID, ifname: IFNAME });
    t.pass('DEL without CNI_NETNS or prevResult succeeds');
    await deleteNetns(podB.ns.name);
    await net.del(podB);
    t.pass('DEL succeeds when the pod namespace (CNI_NETNS) is already gone');
  });

  const last = subnet.base + cidrSize(subnet) - 1; // broadcast
  const poolFirst = formatIPv4(last - 3);
  const poolLast = formatIPv4(last - 2);
  const pool = new CniNetwork((opts.withPool ?? defaultWithPool)(confList, poolFirst, poolLast), opts.cniPath, host.path);
  await t.test(`${opts.name}: DEL frees the address for the next ADD`, async (t) => {
    const [p1, p2, p3] = [await pod(pool), await pod(pool), await pod(pool)];
    const r1 = await pool.add(p1);
    const r2 = await pool.add(p2);
    t.same([firstAddress(r1), firstAddress(r2)].map((a) => a.split('/')[0]).sort(), [poolFirst, poolLast], `a pool of two gives ${poolFirst} and ${poolLast}`);
    const full = await pool.add(p3).then(() => undefined, errorOf);
    t.ok(full && full.exitCode !== 0, 'ADD on a full pool fails');
    if (full) t.type(full.json?.code, 'number', `pool exhaustion is an error object (${full.stdout.trim()})`);
    await pool.del(p3);
    t.pass('DEL after a failed ADD succeeds');
    await pool.del(p1, r1);
    const r3 = await pool.add(p3);
    t.equal(firstAddress(r3), firstAddress(r1), `after DEL, the next ADD reuses ${firstAddress(r1)}`);
    await pool.del(p2, r2);
    await pool.del(p3, r3);
  });

  await t.test(`${opts.name}: GC and STATUS (CNI 1.1)`, async (t) => {
    if (!supportsGcStatus) {
      t.pass('GC/STATUS skipped', { skip: `GC/STATUS need cniVersion 1.1.0 in the config and in every plugin's supportedVersions (config ${version})` });
      return;
    }
    await net.status();
    t.pass('STATUS succeeds on a network with free addresses');
    const [p1, p2, p3] = [await pod(pool), await pod(pool), await pod(pool)];
    const r1 = await pool.add(p1);
    const r2 = await pool.add(p2);
    await pool.gc([{ containerID: p1.containerID, ifname: IFNAME }]);
    t.pass('GC succeeds');
    const r3 = await pool.add(p3);
    t.equal(firstAddress(r3), firstAddress(r2), `GC freed the address of the attachment it was not told about (${firstAddress(r2)})`);
    await pool.check(p1, r1).catch((err: unknown) => t.fail(`GC must keep valid attachments: ${String(err)}`));
    for (const [p, r] of [[p1, r1], [p2, r2], [p3, r3]] as const) await pool.del(p, r);
  });

  await t.test(`${opts.name}: errors are CNI error objects with the spec's codes`, async (t) => {
    const main = confList.plugins[0] as PluginConf;
    const stdin = net.pluginConf(main);
    const errPod = await pod();
    const run = (env: Record<string, string | undefined>, input = stdin) => invokePlugin(main.type, { cniPath: opts.cniPath, hostNetns: host.path, env, stdin: input });
    const expectError = (res: InvokeResult, codes: number[], what: string) => {
      t.not(res.exitCode, 0, `${what}: exit code is non-zero`);
      t.ok(res.json && codes.includes(res.json.code as number), `${what}: error code ${JSON.stringify(res.json?.code)} is one of ${codes.join('/')} (${res.stdout.trim()})`);
      t.type(res.json?.msg, 'string', `${what}: error has msg`);
      if (!dev.errorsWithoutCniVersion) t.type(res.json?.cniVersion, 'string', `${what}: error has cniVersion`);
    };
    const addEnv = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: errPod.containerID, CNI_NETNS: errPod.netns, CNI_IFNAME: IFNAME };
    const missing = await run({ ...addEnv, CNI_COMMAND: undefined });
    if (dev.missingCommandPrintsAbout) {
      t.comment('declared deviation: without CNI_COMMAND the plugin prints an about text and exits 0');
      t.equal(missing.json, undefined, 'missing CNI_COMMAND: no result on stdout');
    } else {
      expectError(missing, [4], 'missing CNI_COMMAND');
    }
    const badNetns = `/var/run/netns/${prefix}-${process.pid}-absent`;
    if (dev.badNetnsCode !== undefined) t.comment(`declared deviation: a missing CNI_NETNS path gives code ${dev.badNetnsCode}`);
    expectError(await run({ ...addEnv, CNI_NETNS: badNetns }), dev.badNetnsCode !== undefined ? [dev.badNetnsCode] : [3, 4], 'ADD with a CNI_NETNS that does not exist');
    expectError(await run(addEnv, '{"cniVersion": '), [6], 'undecodable JSON config');
    expectError(await run(addEnv, JSON.stringify({ ...JSON.parse(stdin), cniVersion: '99.0.0' })), [1], 'unsupported cniVersion 99.0.0');
    expectError(await run({ ...addEnv, CNI_CONTAINERID: undefined }), [4], 'missing CNI_CONTAINERID');
  });
}
