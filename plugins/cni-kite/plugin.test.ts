// kite-bridge as a CNI executable in real network namespaces: persistence, idempotent DEL,
// CHECK against tampering, exhaustion, STATUS and GC, no leaked state after a failed ADD, ipMasq,
// gateway/hairpin/MTU. (The 50-parallel and 100-cycle runs are in scale.test.ts.)
import { existsSync } from 'node:fs';
import t from 'tap';
import { CniInvokeError, CniNetwork, invokePlugin } from '../../conformance/plugins/cni/invoke.js';
import { linkNames } from '../../conformance/plugins/cni/netns.js';
import { address, att, startCniRig } from './testkit.js';

type Json = Record<string, unknown>;

if (process.getuid?.() !== 0) {
  t.plan(0, 'kite-bridge integration tests need root (network namespaces)');
} else {
  const rig = await startCniRig(t, 'kcnit');
  const { host, network, allocations, hostVeths, podNs, cniPath } = rig;

  await t.test('allocations persist on disk and ADD of the same attachment is stable', async (t) => {
    const net = network('persist', '198.18.21.0/24');
    const ns = await podNs(0);
    const r1 = await net.add(att(ns, 'keep'));
    t.same(allocations('persist'), [address(r1).split('/')[0]], 'the address is a file under dataDir/<network>');
    await net.del(att(ns, 'keep'));
    const r2 = await net.add(att(ns, 'keep'));
    t.not(address(r2), address(r1), 'after DEL the search moves on (a freed address is reused last)');
    // What a node restart looks like to the plugin: a new process finds the file and honours it.
    const other = await net.add(att(await podNs(1), 'other'));
    t.not(address(other), address(r2), 'a new ADD never takes a held address');
    await net.check(att(ns, 'keep'), r2);
    t.pass('CHECK of the surviving attachment passes');
    await net.del(att(ns, 'keep'));
    await net.del(att(await podNs(1), 'other'));
  });

  await t.test('DEL is idempotent, also for unknown attachments', async (t) => {
    const net = network('idem', '198.18.22.0/24');
    await net.del({ containerID: 'never-added', ifname: 'eth0' });
    await net.del({ containerID: 'never-added', ifname: 'eth0', netns: '/var/run/netns/does-not-exist' });
    t.pass('DEL of an attachment that never existed succeeds, with or without a namespace');
  });

  await t.test('CHECK detects a removed address, a removed route and a detached veth', async (t) => {
    const net = network('check', '198.18.24.0/24');
    const ns = await podNs(0);
    const tamper = async (id: string, how: (r: Json) => Promise<unknown>, what: string) => {
      const r = await net.add(att(ns, id));
      await net.check(att(ns, id), r);
      await how(r);
      const err = await net.check(att(ns, id), r).then(() => undefined, (e: unknown) => e);
      t.ok(err instanceof CniInvokeError && err.result.json?.code === 102, `CHECK fails with code 102 after ${what} (${err instanceof CniInvokeError ? err.result.stdout.trim() : String(err)})`);
      await net.del(att(ns, id));
    };
    await tamper('chk-addr', (r) => ns.exec('ip', ['addr', 'del', address(r), 'dev', 'eth0']), 'removing the address');
    await tamper('chk-route', () => ns.exec('ip', ['route', 'del', 'default']), 'removing the default route');
    await tamper('chk-veth', (r) => host.exec('ip', ['link', 'set', (r.interfaces as Array<{ name: string }>)[1]!.name, 'nomaster']), 'detaching the host veth from the bridge');
    const err = await net.check(att(ns, 'chk-gone'), { cniVersion: '1.1.0', interfaces: [{ name: 'eth0', sandbox: ns.path }], ips: [] }).then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof CniInvokeError, 'CHECK of an attachment that was never added fails');
  });

  await t.test('a full pool: ADD fails with code 100 and leaks nothing, STATUS says 50; GC frees leaked attachments', async (t) => {
    const net = network('tiny', '198.18.25.0/29'); // gateway .1, pods .2–.6
    const ns = await Promise.all([0, 1, 2, 3, 4, 5].map(podNs));
    for (let i = 0; i < 5; i++) await net.add(att(ns[i]!, `tiny-${i}`));
    const err = await net.add(att(ns[5]!, 'tiny-5')).then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof CniInvokeError && err.result.json?.code === 100, `sixth ADD: code 100 (${err instanceof CniInvokeError ? err.result.stdout.trim() : String(err)})`);
    t.same(await linkNames(ns[5]!), ['lo'], 'the failed ADD left no interface in the pod');
    t.equal((await hostVeths()).length, 5, 'and no veth on the node');
    const status = await net.status().then(() => undefined, (e: unknown) => e);
    t.ok(status instanceof CniInvokeError && status.result.json?.code === 50, 'STATUS reports code 50 while no address is free');
    const gc = await invokePlugin('kite-bridge', { cniPath, hostNetns: host.path, stdin: net.pluginConf(net.confList.plugins[0]!), env: { CNI_COMMAND: 'GC' } });
    t.equal(gc.json?.code, 7, 'GC without cni.dev/valid-attachments is refused (code 7)…');
    t.equal(allocations('tiny').length, 5, '…and frees nothing');
    await net.gc([0, 1, 2, 3].map((i) => ({ containerID: `tiny-${i}`, ifname: 'eth0' })));
    t.equal(allocations('tiny').length, 4, 'GC frees the allocation of the attachment the runtime forgot…');
    t.equal((await hostVeths()).length, 4, '…and removes its leaked host veth');
    t.same(await linkNames(ns[4]!), ['lo'], '…which takes the pod end with it');
    await net.del(att(ns[0]!, 'tiny-0'));
    await net.status();
    t.pass('STATUS succeeds once an address is free again');
    for (let i = 1; i < 5; i++) await net.del(att(ns[i]!, `tiny-${i}`)); // tiny-4 is gone already: DEL still succeeds
    t.same(allocations('tiny'), []);
  });

  await t.test('a failed ADD (bad namespace) leaves no allocation; cniVersion 0.3.1 results carry ip versions', async (t) => {
    const net = network('fail', '198.18.26.0/24');
    const res = await invokePlugin('kite-bridge', { cniPath, hostNetns: host.path, stdin: net.pluginConf(net.confList.plugins[0]!), env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'bad', CNI_IFNAME: 'eth0', CNI_NETNS: '/proc/self/ns/none' } });
    t.equal(res.json?.code, 4, 'a missing CNI_NETNS path is code 4');
    t.same(allocations('fail'), [], 'no allocation recorded');
    const old = new CniNetwork({ ...net.confList, cniVersion: '0.3.1' }, cniPath, host.path);
    const r = await old.add(att(await podNs(0), 'v031'));
    t.equal(r.cniVersion, '0.3.1');
    t.equal((r.ips as Array<{ version: string }>)[0]?.version, '4');
    await old.del(att(await podNs(0), 'v031'));
  });

  await t.test('ipMasq: traffic leaving the subnet carries the node address, the rule is installed once; hostPort via portmap', async (t) => {
    const net = network('masq', '198.18.28.0/24', { ipMasq: true });
    // An "outside" namespace that knows the node's link address but has no route to the pods.
    const outside = await rig.newNetns();
    await host.exec('ip', ['link', 'add', 'kcnout', 'type', 'veth', 'peer', 'name', 'kcnout', 'netns', outside.name]);
    await host.exec('sh', ['-c', 'ip addr add 198.18.29.1/24 dev kcnout && ip link set kcnout up']);
    await outside.exec('sh', ['-c', 'ip addr add 198.18.29.2/24 dev kcnout && ip link set kcnout up']);
    const [p0, p1] = [await podNs(0), await podNs(1)];
    await Promise.all([net.add(att(p0, 'masq-0')), net.add(att(p1, 'masq-1'))]);
    const rules = await host.exec('iptables', ['-t', 'nat', '-S', 'POSTROUTING']);
    t.equal(rules.split('\n').filter((l) => l.includes('kite-bridge network masq')).length, 1, 'one POSTROUTING rule for the network after two parallel ADDs');
    const server = outside.spawn(process.execPath, ['-e', "require('net').createServer((s) => s.end(s.remoteAddress)).listen(7100, '0.0.0.0', () => console.log('ready'))"]);
    rig.cleanup(() => server.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('listener did not start')), 30_000);
      server.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('ready')) { clearTimeout(timer); resolve(); } });
    });
    const seen = await p0.exec(process.execPath, ['-e', "const s = require('net').connect(7100, '198.18.29.2'); let d = ''; s.on('data', (x) => (d += x)); s.on('end', () => console.log(d)); s.on('error', (e) => { console.error(e.message); process.exit(1); }); setTimeout(() => process.exit(2), 20000).unref();"]);
    t.equal(seen.trim(), '198.18.29.1', 'the outside sees the node address, not the pod address');
    server.kill('SIGKILL');
    await net.del(att(p0, 'masq-0'));
    await net.del(att(p1, 'masq-1'));

    // hostPort the way the node agent wires it: Debian's portmap chained after kite-bridge.
    if (!existsSync('/usr/lib/cni/portmap')) return;
    const chain = new CniNetwork({ cniVersion: '1.0.0', name: 'hostport', plugins: [
      network('hostport', '198.18.30.0/24').confList.plugins[0]!,
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ] }, `${cniPath}:/usr/lib/cni`, host.path, { portMappings: [{ hostPort: 18080, containerPort: 8080, protocol: 'tcp' }] });
    const r = await chain.add(att(p0, 'hostport'));
    const web = p0.spawn(process.execPath, ['-e', "require('net').createServer((s) => s.end('pod says hi')).listen(8080, '0.0.0.0', () => console.log('ready'))"]);
    rig.cleanup(() => web.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('pod listener did not start')), 30_000);
      web.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('ready')) { clearTimeout(timer); resolve(); } });
    });
    const reply = await outside.exec(process.execPath, ['-e', "const s = require('net').connect(18080, '198.18.29.1'); let d = ''; s.on('data', (x) => (d += x)); s.on('end', () => console.log(d)); s.on('error', (e) => { console.error(e.message); process.exit(1); }); setTimeout(() => process.exit(2), 20000).unref();"]);
    t.equal(reply.trim(), 'pod says hi', `node:18080 reaches the pod (${address(r)}) through portmap chained after kite-bridge`);
    web.kill('SIGKILL');
    await chain.del(att(p0, 'hostport'), r);
    await host.exec('ip', ['link', 'del', 'kcnout']);
  });

  await t.test('isGateway puts the gateway on the bridge and enables forwarding; hairpin mode is set', async (t) => {
    const net = network('gw', '198.18.27.0/24', { hairpinMode: true, mtu: 1400 });
    const ns = await podNs(0);
    const r = await net.add(att(ns, 'gw'));
    const bridge = JSON.parse(await host.exec('ip', ['-j', 'addr', 'show', 'dev', 'kcnit0'])) as Array<{ addr_info: Array<{ local: string }> }>;
    t.ok(bridge[0]?.addr_info.some((a) => a.local === '198.18.27.1'), 'bridge has the gateway address');
    t.equal((await host.exec('cat', ['/proc/sys/net/ipv4/ip_forward'])).trim(), '1', 'forwarding on in the node namespace');
    const veth = (r.interfaces as Array<{ name: string }>)[1]!.name;
    const detail = await host.exec('ip', ['-d', 'link', 'show', 'dev', veth]);
    t.match(detail, /hairpin on/, 'hairpin on the host veth');
    t.match(await ns.exec('ip', ['link', 'show', 'dev', 'eth0']), /mtu 1400/, 'pod interface MTU');
    await net.del(att(ns, 'gw'));
  });
}
