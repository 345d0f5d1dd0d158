// kite-bridge under load in real network namespaces: 50 parallel ADDs (separate processes racing
// for addresses) and 100 ADD/DEL cycles, each leaving nothing behind. Separate from
// plugin.test.ts so each file has its own time budget on a busy machine.
import t from 'tap';
import { linkNames } from '../../conformance/plugins/cni/netns.js';
import { address, att, startCniRig } from './testkit.js';

if (process.getuid?.() !== 0) {
  t.plan(0, 'kite-bridge integration tests need root (network namespaces)');
} else {
  const { network, allocations, hostVeths, podNs } = await startCniRig(t, 'kcnis');

  await t.test('50 parallel ADDs get 50 distinct addresses; DEL releases them all', async (t) => {
    const net = network('par', '198.18.20.0/24');
    const namespaces = await Promise.all(Array.from({ length: 50 }, (_, i) => podNs(i)));
    const results = await Promise.all(namespaces.map((ns, i) => net.add(att(ns, `par-${i}`))));
    const addrs = results.map(address);
    t.equal(new Set(addrs).size, 50, `50 distinct addresses (${addrs.slice(0, 3).join(', ')}, …)`);
    t.equal(allocations('par').length, 50, '50 allocation files');
    t.equal((await hostVeths()).length, 50, '50 host-side veths');
    await Promise.all(namespaces.map((ns, i) => net.del(att(ns, `par-${i}`))));
    t.same(allocations('par'), [], 'every allocation released');
    t.same(await hostVeths(), [], 'every veth removed');
  });

  await t.test('100 ADD/DEL cycles leave no veth, address or namespace entry behind', async (t) => {
    const net = network('cycles', '198.18.23.0/24');
    const ns = await Promise.all([0, 1, 2, 3].map(podNs));
    let next = 0;
    const seen = new Set<string>();
    await Promise.all(ns.map(async (pod) => {
      while (next < 100) {
        const id = `cyc-${next++}`;
        seen.add(address(await net.add(att(pod, id))));
        await net.del(att(pod, id));
      }
    }));
    t.ok(seen.size > 4, `addresses rotate through the pool (${seen.size} distinct)`);
    t.same(allocations('cycles'), [], 'no allocation left');
    t.same(await hostVeths(), [], 'no veth left in the node namespace');
    for (const pod of ns) t.same(await linkNames(pod), ['lo'], `${pod.name} has only lo`);
  });
}
