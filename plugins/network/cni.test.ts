// The CNI host against fake plugins (order, prevResult chaining, caching, errors, timeouts,
// STATUS/GC of CNI 1.1) and against Debian's reference bridge + host-local + portmap in network
// namespaces this test creates.
import 'reflect-metadata';
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../kernel/log.js';
import { CniHost, resultIPs, type Attachment } from './cni-host.js';
import { CniError } from './cni-exec.js';
import { defaultConfList, loadConfList, ConfListError, type ConfList } from './conflist.js';
import { fakePlugin, netns, removeLinkAtEnd, sh, tempDir, trySh, uniq } from './testkit.js';

const logger = createLogger({}, 'error');
const att = (id: string, netnsPath: string): Attachment => ({ containerId: id, netns: netnsPath, ifName: 'eth0', args: { IgnoreUnknown: 'true', K8S_POD_NAME: 'p' }, runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] } });
const calls = (dir: string) => (existsSync(join(dir, 'calls.log')) ? readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n') : []).map((l) => {
  const [plugin, command, ...rest] = l.split(' ');
  return { plugin, command, input: rest.length ? JSON.parse(rest.join(' ')) as Record<string, unknown> : {} };
});

t.test('conflist validation', async (t) => {
  t.throws(() => loadConfList({ cniVersion: '1.0.0', name: 'x', plugins: [] }), ConfListError);
  t.throws(() => loadConfList({ cniVersion: 'one', name: 'x', plugins: [{ type: 'bridge' }] }), /cniVersion/);
  t.throws(() => loadConfList({ cniVersion: '1.0.0', name: 'x', plugins: [{ type: '../evil' }] }), /plugins\[0\]\.type/);
  t.throws(() => loadConfList('/nonexistent/kite.conflist'), /cannot read/);
  const d = defaultConfList({ podCIDR: '10.244.3.0/24', bridge: 'kb', ipamDataDir: '/tmp/x', flavour: 'reference' });
  t.equal(d.plugins[0]!.type, 'bridge');
  t.same((d.plugins[0]!.ipam as { ranges: unknown }).ranges, [[{ subnet: '10.244.3.0/24', gateway: '10.244.3.1' }]]);
  t.same(resultIPs({ ips: [{ address: '10.0.0.2/24', interface: 1 }], interfaces: [{ name: 'kb' }, { name: 'eth0', sandbox: '/x' }] }, 'eth0'), ['10.0.0.2']);
  t.same(resultIPs({ ip4: { ip: '10.0.0.3/24' } }, 'eth0'), ['10.0.0.3'], 'CNI 0.2 result');
});

t.test('fake plugins: order, chaining, cache, DEL in reverse, CHECK, STATUS, GC', async (t) => {
  const dir = tempDir(t, 'n2-cni-');
  fakePlugin(dir, 'first');
  fakePlugin(dir, 'second', { add: `printf '%s' "$input" | sed -e 's/.*"prevResult":\\(.*\\)}$/\\1/'` });
  const host = new CniHost({ cniPath: ['/nonexistent', dir], cacheDir: join(dir, 'cache'), timeoutMs: 10_000, logger });
  const conf: ConfList = { cniVersion: '1.1.0', name: 'testnet', plugins: [{ type: 'first', capabilities: { portMappings: true } }, { type: 'second', extra: 1 }] };
  await host.status(conf);
  t.same(calls(dir).map((c) => `${c.plugin} ${c.command}`), ['first VERSION', 'second VERSION', 'first STATUS', 'second STATUS'], 'VERSION of each, then STATUS (CNI 1.1)');
  const result = await host.add(conf, att('c1', '/proc/1/ns/net'));
  t.same(resultIPs(result, 'eth0'), ['10.9.0.7'], 'final result is the chain end');
  const adds = calls(dir).filter((c) => c.command === 'ADD');
  t.same(adds.map((c) => c.plugin), ['first', 'second'], 'ADD in order');
  t.equal(adds[0]!.input.name, 'testnet', 'name injected');
  t.equal(adds[0]!.input.cniVersion, '1.1.0', 'cniVersion injected');
  t.same(adds[0]!.input.runtimeConfig, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] }, 'runtimeConfig for a declared capability');
  t.notOk(adds[0]!.input.prevResult, 'first plugin has no prevResult');
  t.equal(adds[1]!.input.runtimeConfig, undefined, 'no runtimeConfig without the capability');
  t.same(resultIPs(adds[1]!.input.prevResult as Record<string, unknown>, 'eth0'), ['10.9.0.7'], 'second got the first result as prevResult');
  const env = readFileSync(join(dir, 'first.env'), 'utf8');
  t.match(env, /CNI_COMMAND=ADD/);
  t.match(env, /CNI_CONTAINERID=c1/);
  t.match(env, /CNI_IFNAME=eth0/);
  t.match(env, /CNI_NETNS=\/proc\/1\/ns\/net/);
  t.match(env, new RegExp(`CNI_PATH=/nonexistent:${dir}`));
  t.match(env, /CNI_ARGS=IgnoreUnknown=true;K8S_POD_NAME=p/);

  // A new host on the same cache directory (an agent restart) still has the result.
  const again = new CniHost({ cniPath: [dir], cacheDir: join(dir, 'cache'), timeoutMs: 10_000, logger });
  const cached = await again.cached('c1');
  t.same(cached && resultIPs(cached.result, 'eth0'), ['10.9.0.7'], 'result cached on disk');
  await again.check('c1');
  const checks = calls(dir).filter((c) => c.command === 'CHECK');
  t.same(checks.map((c) => c.plugin), ['first', 'second'], 'CHECK in order');
  t.ok(checks.every((c) => c.input.prevResult), 'CHECK gets the cached prevResult');
  // Configuration changed since ADD: DEL still runs the list the ADD ran.
  await again.del('c1');
  const dels = calls(dir).filter((c) => c.command === 'DEL');
  t.same(dels.map((c) => c.plugin), ['second', 'first'], 'DEL in reverse order');
  t.ok(dels.every((c) => c.input.prevResult), 'DEL gets the cached prevResult');
  t.notOk(await again.cached('c1'), 'cache entry removed');
  await again.del('c1');
  t.equal(calls(dir).filter((c) => c.command === 'DEL').length, 2, 'DEL without a cache entry runs nothing');

  await again.gc(conf, [{ containerId: 'keep-me', ifName: 'eth0' }]);
  const gcs = calls(dir).filter((c) => c.command === 'GC');
  t.equal(gcs.length, 2, 'GC to each plugin');
  t.same(gcs[0]!.input['cni.dev/valid-attachments'], [{ containerID: 'keep-me', ifname: 'eth0' }]);
  await again.gc({ ...conf, cniVersion: '1.0.0' }, []);
  t.equal(calls(dir).filter((c) => c.command === 'GC').length, 2, 'no GC below CNI 1.1.0');
});

t.test('fake plugins: errors, hangs and unsupported versions leave nothing behind', async (t) => {
  const dir = tempDir(t, 'n2-cni-');
  fakePlugin(dir, 'ok');
  fakePlugin(dir, 'broken', { add: `printf '{"cniVersion":"1.0.0","code":7,"msg":"no bridge today","details":"kernel says no"}'; exit 1` });
  fakePlugin(dir, 'crashy', { add: `echo 'panic: nil map' >&2; exit 2` });
  fakePlugin(dir, 'hangs', { add: `sleep 60 & wait` });
  fakePlugin(dir, 'old', { versions: ['0.3.1'] });
  fakePlugin(dir, 'sick', { status: `printf '{"cniVersion":"1.1.0","code":50,"msg":"plugin not ready"}'; exit 1` });
  const host = new CniHost({ cniPath: [dir], cacheDir: join(dir, 'cache'), timeoutMs: 1500, logger });
  const list = (...types: string[]): ConfList => ({ cniVersion: '1.1.0', name: 'n', plugins: types.map((type) => ({ type })) });

  const err = await host.add(list('ok', 'broken'), att('c2', '/x')).catch((e: unknown) => e);
  t.ok(err instanceof CniError);
  t.equal((err as CniError).code, 7);
  t.equal((err as Error).message, 'plugin type="broken" name="n" failed (add): no bridge today: kernel says no', 'error object parsed into a message');
  t.same(calls(dir).filter((c) => c.command === 'DEL').map((c) => c.plugin), ['broken', 'ok'], 'a half-way failure is undone with DEL of the whole list');
  t.notOk(await host.cached('c2'), 'nothing cached');

  const crash = await host.add(list('crashy'), att('c3', '/x')).catch((e: unknown) => e as Error);
  t.match(crash.message, /plugin type="crashy" name="n" failed \(add\): exited with code 2: panic: nil map/);

  const started = Date.now();
  const hung = await host.add(list('ok', 'hangs'), att('c4', '/x')).catch((e: unknown) => e as Error);
  t.match(hung.message, /plugin type="hangs" name="n" failed \(add\): timed out after 1.5s and was killed/);
  t.ok(Date.now() - started < 30_000, 'did not wait for the plugin');
  t.equal(trySh('pgrep', ['-f', `${dir}/hangs`])?.trim() ?? '', '', 'the hung plugin was killed');
  t.notOk(await host.cached('c4'));

  const missing = await host.add(list('nosuch'), att('c5', '/x')).catch((e: unknown) => e as Error);
  t.match(missing.message, /failed to find plugin "nosuch"/);
  await t.rejects(host.status(list('ok', 'old')), /plugin type="old" name="n" failed \(version\): does not support cniVersion 1.1.0/);
  await t.rejects(host.status(list('sick')), /failed \(status\): plugin not ready/);
  t.same(readdirSync(dir).filter((f) => f === 'cache'), [], 'no cache directory was ever needed');
});

t.test('reference plugins: bridge + host-local + portmap in real namespaces', { skip: !existsSync('/usr/lib/cni/bridge') && 'no reference plugins' }, async (t) => {
  const id = uniq();
  const dir = tempDir(t, 'n2-ref-');
  const bridge = `n2t${id}`;
  removeLinkAtEnd(t, bridge);
  const nsA = netns(t, `n2a-${id}`);
  const nsB = netns(t, `n2b-${id}`);
  const ipamDir = join(dir, 'networks');
  const conf = defaultConfList({ podCIDR: '10.251.7.0/24', bridge, ipamDataDir: ipamDir, flavour: 'reference' });
  const host = new CniHost({ cniPath: ['/usr/lib/cni'], cacheDir: join(dir, 'cache'), timeoutMs: 20_000, logger });
  await host.status(conf);
  const plain = (cid: string, ns: string): Attachment => ({ ...att(cid, ns), runtimeConfig: {} });
  const a = resultIPs(await host.add(conf, plain(`ca${id}`, nsA)), 'eth0');
  const b = resultIPs(await host.add(conf, plain(`cb${id}`, nsB)), 'eth0');
  t.equal(a.length, 1);
  t.ok(a[0]!.startsWith('10.251.7.') && b[0]!.startsWith('10.251.7.') && a[0] !== b[0], `two distinct IPs from the range: ${a[0]} ${b[0]}`);
  t.match(sh('ip', ['netns', 'exec', `n2a-${id}`, 'ip', '-4', 'addr', 'show', 'eth0']), a[0]!, 'address on eth0 in the namespace');
  await host.check(`ca${id}`);
  t.pass('CHECK passes');
  // TCP from B to A across the bridge.
  const server = spawn('ip', ['netns', 'exec', `n2a-${id}`, 'busybox', 'nc', '-l', '-p', '7070'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => server.kill('SIGKILL'));
  let delivered = '';
  server.stdout.on('data', (d: Buffer) => { delivered += d.toString(); });
  for (let i = 0; i < 50 && !delivered.includes('hello'); i++) {
    if (i % 5 === 0) trySh('sh', ['-c', `echo hello | ip netns exec n2b-${id} busybox nc -w 2 ${a[0]} 7070`]);
    await new Promise((r) => setTimeout(r, 200));
  }
  t.match(delivered, /hello/, 'TCP between two attachments on the bridge');
  const allocated = readdirSync(join(ipamDir, 'kite')).filter((f) => /^\d/.test(f));
  t.equal(allocated.length, 2, 'host-local holds two allocations');
  await host.del(`ca${id}`);
  await host.del(`ca${id}`);
  // B's namespace disappears before DEL (a crashed sandbox): DEL still releases the address.
  sh('ip', ['netns', 'del', `n2b-${id}`]);
  await host.del(`cb${id}`, { conf, att: att(`cb${id}`, nsB) });
  t.same(readdirSync(join(ipamDir, 'kite')).filter((f) => /^\d/.test(f)), [], 'every address released');
  t.equal((sh('ip', ['-o', 'link', 'show', 'master', bridge]).trim()), '', 'no veth left on the bridge');
});

t.test('in-process plugins run only for the binary they were installed as', async (t) => {
  const { execPlugin } = await import('./cni-exec.js');
  const dir = tempDir(t, 'n2-inproc-');
  const vendorDir = tempDir(t, 'n2-vendor-');
  fakePlugin(dir, 'kite-bridge');
  const seen: Array<{ env: Record<string, string>; stdin: string }> = [];
  const inProcess = new Map([[join(dir, 'kite-bridge'), async (env: Record<string, string>, stdin: string) => {
    seen.push({ env, stdin });
    return env.CNI_COMMAND === 'DEL' ? { stdout: '{"cniVersion":"1.0.0","code":7,"msg":"bad conf"}\n', exitCode: 1 } : { stdout: '{"cniVersion":"1.0.0","ips":[]}\n', exitCode: 0 };
  }]]);
  const inv = { command: 'ADD' as const, containerId: 'c1', netns: '/proc/1/ns/net', ifName: 'eth0', cniPath: [dir], timeoutMs: 5_000, inProcess };
  t.same(await execPlugin('kite-bridge', { name: 'n' }, inv), { cniVersion: '1.0.0', ips: [] }, 'the function answered');
  t.equal(seen[0]?.env.CNI_COMMAND, 'ADD');
  t.equal(seen[0]?.env.CNI_CONTAINERID, 'c1');
  t.same(JSON.parse(seen[0]!.stdin), { name: 'n' }, 'the config came as stdin');
  const err = await execPlugin('kite-bridge', {}, { ...inv, command: 'DEL' }).catch((e: unknown) => e);
  t.ok(err instanceof CniError && err.code === 7 && /bad conf/.test(err.message), 'error objects become CniErrors as from an executable');
  // A vendor's kite-bridge earlier on CNI_PATH is executed, not replaced by the in-process copy.
  fakePlugin(vendorDir, 'kite-bridge');
  const before = seen.length;
  await execPlugin('kite-bridge', { cniVersion: '1.0.0', name: 'n' }, { ...inv, cniPath: [vendorDir, dir], command: 'VERSION' }).catch(() => undefined);
  t.equal(seen.length, before, 'the vendor binary ran');
});
