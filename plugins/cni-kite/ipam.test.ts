// kite-ipam and config validation in-process: allocation order, idempotency, release, GC,
// exhaustion, and errors that name the offending key; the installed wrapper.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { cniMainPath, installCniBinaries } from './install.js';
import { allocate, collectGarbage, findAllocation, freeAddresses, listAllocations, release } from './ipam.js';
import { formatIPv4, parseIPv4 } from '../../kernel/net/ipv4.js';
import { parseNetConf } from './setup.js';
import { CniError, ErrorCode, resultForVersion } from './spec.js';

const dir = mkdtempSync(join(tmpdir(), 'kite-ipam-unit-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function conf(subnet: string, extra: Record<string, unknown> = {}, name = 'unit') {
  return parseNetConf(JSON.stringify({ cniVersion: '1.1.0', name, type: 'kite-bridge', ipam: { type: 'kite-ipam', subnet, dataDir: dir, ...extra } }));
}

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof CniError ? err.code : -1;
  }
  return undefined;
}

t.test('defaults: gateway .1, pool from .2 to the last host', async (t) => {
  const c = conf('10.20.0.0/24');
  t.equal(formatIPv4(c.ipam.gateway), '10.20.0.1');
  t.equal(formatIPv4(c.ipam.rangeStart), '10.20.0.2');
  t.equal(formatIPv4(c.ipam.rangeEnd), '10.20.0.254');
  t.equal(c.bridge, 'kite0');
  t.equal(c.isGateway, true);
  t.same(c.ipam.routes, [{ dst: '0.0.0.0/0' }]);
  t.equal(c.ipam.dir, `${dir}/unit`);
});

t.test('allocation is sequential, idempotent per attachment, and released on request', async (t) => {
  const c = conf('10.21.0.0/24', {}, 'seq');
  const a = allocate(c.ipam, { containerID: 'a', ifname: 'eth0' });
  const b = allocate(c.ipam, { containerID: 'b', ifname: 'eth0' });
  const a2 = allocate(c.ipam, { containerID: 'a', ifname: 'eth1' });
  t.equal(formatIPv4(a), '10.21.0.2');
  t.equal(formatIPv4(b), '10.21.0.3');
  t.equal(formatIPv4(a2), '10.21.0.4', 'the same container on another ifname is another attachment');
  t.equal(allocate(c.ipam, { containerID: 'a', ifname: 'eth0' }), a, 'ADD again returns the same address');
  t.same(release(c.ipam.dir, { containerID: 'a', ifname: 'eth0' }), [a]);
  t.same(release(c.ipam.dir, { containerID: 'a', ifname: 'eth0' }), [], 'releasing again frees nothing and does not fail');
  t.equal(formatIPv4(allocate(c.ipam, { containerID: 'c', ifname: 'eth0' })), '10.21.0.5', 'a freed address is reused last (search continues after the last one handed out)');
  t.equal(findAllocation(c.ipam.dir, { containerID: 'b', ifname: 'eth0' })?.ip, b);
  t.notOk(readdirSync(c.ipam.dir).some((n) => n.startsWith('.tmp-')), 'no temporary files remain');
});

t.test('allocations survive a lost search hint (restart with only the address files)', async (t) => {
  const c = conf('10.22.0.0/24', {}, 'hint');
  const held = allocate(c.ipam, { containerID: 'keep', ifname: 'eth0' });
  unlinkSync(join(c.ipam.dir, 'last_reserved_ip'));
  const next = allocate(c.ipam, { containerID: 'new', ifname: 'eth0' });
  t.not(next, held, 'a held address is never handed out twice');
  t.equal(listAllocations(c.ipam.dir).length, 2);
});

t.test('exhaustion, STATUS arithmetic and GC', async (t) => {
  const c = conf('10.23.0.0/29', {}, 'small'); // .1 gateway, .2-.6 pods
  t.equal(freeAddresses(c.ipam), 5);
  for (let i = 0; i < 5; i++) allocate(c.ipam, { containerID: `p${i}`, ifname: 'eth0' });
  t.equal(freeAddresses(c.ipam), 0);
  t.equal(codeOf(() => allocate(c.ipam, { containerID: 'p5', ifname: 'eth0' })), ErrorCode.AddressPoolExhausted, 'a full pool gives code 100');
  // Another node's subnet recorded in the same directory (same network name and dataDir).
  const other = conf('10.23.1.0/29', {}, 'small');
  allocate(other.ipam, { containerID: 'elsewhere', ifname: 'eth0' });
  const freed = collectGarbage(c.ipam, [{ containerID: 'p1', ifname: 'eth0' }, { containerID: 'p3', ifname: 'eth0' }]);
  t.equal(freed.length, 3, 'GC frees the three attachments not listed');
  t.same(listAllocations(c.ipam.dir).map((a) => a.containerID).sort(), ['elsewhere', 'p1', 'p3'], 'and leaves addresses of another subnet alone');
});

t.test('an explicit range and gateway inside it', async (t) => {
  const c = conf('10.24.0.0/24', { rangeStart: '10.24.0.10', rangeEnd: '10.24.0.12', gateway: '10.24.0.11' }, 'range');
  const got = [0, 1].map((i) => formatIPv4(allocate(c.ipam, { containerID: `r${i}`, ifname: 'eth0' })));
  t.same(got, ['10.24.0.10', '10.24.0.12'], 'the gateway is skipped');
  t.equal(freeAddresses(c.ipam), 0);
});

t.test('bad configs give CNI errors naming the key', async (t) => {
  const cases: Array<[string, unknown, number, RegExp]> = [
    ['not JSON', '{', ErrorCode.DecodeFailure, /decode/],
    ['no cniVersion', { name: 'x', ipam: { type: 'kite-ipam', subnet: '10.0.0.0/24' } }, ErrorCode.InvalidNetworkConfig, /cniVersion/],
    ['future cniVersion', { cniVersion: '2.0.0', name: 'x' }, ErrorCode.IncompatibleVersion, /incompatible/],
    ['no subnet', { cniVersion: '1.0.0', name: 'x', ipam: { type: 'kite-ipam' } }, ErrorCode.InvalidNetworkConfig, /ipam\.subnet/],
    ['host bits in subnet', { cniVersion: '1.0.0', name: 'x', ipam: { type: 'kite-ipam', subnet: '10.0.0.5/24' } }, ErrorCode.InvalidNetworkConfig, /ipam\.subnet/],
    ['IPv6 subnet', { cniVersion: '1.0.0', name: 'x', ipam: { type: 'kite-ipam', subnet: 'fd00::/64' } }, ErrorCode.InvalidNetworkConfig, /IPv6/],
    ['gateway outside', { cniVersion: '1.0.0', name: 'x', ipam: { type: 'kite-ipam', subnet: '10.0.0.0/24', gateway: '10.1.0.1' } }, ErrorCode.InvalidNetworkConfig, /ipam\.gateway/],
    ['range reversed', { cniVersion: '1.0.0', name: 'x', ipam: { type: 'kite-ipam', subnet: '10.0.0.0/24', rangeStart: '10.0.0.9', rangeEnd: '10.0.0.3' } }, ErrorCode.InvalidNetworkConfig, /ipam\.rangeEnd/],
    ['other IPAM', { cniVersion: '1.0.0', name: 'x', ipam: { type: 'host-local', subnet: '10.0.0.0/24' } }, ErrorCode.UnsupportedField, /ipam\.type/],
    ['ipMasq', { cniVersion: '1.0.0', name: 'x', ipMasq: 'yes', ipam: { type: 'kite-ipam', subnet: '10.0.0.0/24' } }, ErrorCode.InvalidNetworkConfig, /ipMasq/],
    ['bridge name too long', { cniVersion: '1.0.0', name: 'x', bridge: 'a-very-long-bridge-name', ipam: { type: 'kite-ipam', subnet: '10.0.0.0/24' } }, ErrorCode.InvalidNetworkConfig, /bridge/],
    ['mtu', { cniVersion: '1.0.0', name: 'x', mtu: 100, ipam: { type: 'kite-ipam', subnet: '10.0.0.0/24' } }, ErrorCode.InvalidNetworkConfig, /mtu/],
    ['relative dataDir', { cniVersion: '1.0.0', name: 'x', ipam: { type: 'kite-ipam', subnet: '10.0.0.0/24', dataDir: 'rel' } }, ErrorCode.InvalidNetworkConfig, /ipam\.dataDir/],
  ];
  for (const [what, input, code, msg] of cases) {
    try {
      parseNetConf(typeof input === 'string' ? input : JSON.stringify(input));
      t.fail(`${what}: accepted`);
    } catch (err) {
      t.equal((err as CniError).code, code, `${what}: code ${code}`);
      t.match((err as CniError).message, msg, `${what}: message names it (${(err as Error).message})`);
    }
  }
});

t.test('results take the shape of the requested version', async (t) => {
  const r = { cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24', interface: 2 }] };
  t.same(resultForVersion(r, '0.4.0').ips, [{ version: '4', address: '10.0.0.2/24', interface: 2 }]);
  t.same(resultForVersion(r, '1.0.0').ips, [{ address: '10.0.0.2/24', interface: 2 }]);
  const withIface = { ...r, interfaces: [{ name: 'eth0', mtu: 1500, sandbox: '/x' }] };
  t.same(resultForVersion(withIface, '1.1.0').interfaces, [{ name: 'eth0', mtu: 1500, sandbox: '/x' }], '1.1.0 interfaces carry mtu');
  t.same(resultForVersion(withIface, '1.0.0').interfaces, [{ name: 'eth0', sandbox: '/x' }], '1.0.0 interfaces do not');
  t.equal(parseIPv4('10.0.0.256'), undefined);
});

t.test('installCniBinaries writes an executable wrapper that runs this build', async (t) => {
  const exe = installCniBinaries(join(dir, 'bin'));
  t.equal(exe, join(dir, 'bin', 'kite-bridge'));
  accessSync(exe, constants.X_OK);
  const text = readFileSync(exe, 'utf8');
  t.match(text, /^#!\/bin\/sh\n/, 'a sh script');
  t.ok(text.includes(`'${process.execPath}' '${cniMainPath()}' "$@"`), 'execs this node on main.js by absolute paths');
  t.match(text, /unset NODE_EXTRA_CA_CERTS NODE_OPTIONS/, 'drops environment that slows or changes Node start-up');
  const out = execFileSync(exe, [], { input: '{"cniVersion":"1.0.0"}', env: { CNI_COMMAND: 'VERSION', NODE_OPTIONS: '--require /nonexistent.cjs' } }).toString();
  t.same(JSON.parse(out), { cniVersion: '1.0.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] }, 'VERSION through the wrapper (with a PATH-less env and a broken NODE_OPTIONS)');
  installCniBinaries(join(dir, 'bin'));
  t.same(readdirSync(join(dir, 'bin')), ['kite-bridge'], 're-installing replaces it, no temp file left');
});
