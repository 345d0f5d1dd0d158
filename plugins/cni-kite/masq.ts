// ipMasq: one rule set per network in the node's namespace, installed on the first ADD and kept
// (it matches the subnet, not single pods, so pods coming and going never touch it):
//   POSTROUTING -s <subnet> -j KITE-MASQ-<hash>   (commented with the network name)
//   KITE-MASQ-<hash>: RETURN to the subnet and to multicast, MASQUERADE the rest
// Check-then-install runs under flock(1), so parallel ADDs install it exactly once.
import { spawn } from 'node:child_process';
import { formatIPv4 } from '../../kernel/net/ipv4.js';
import { shortHash } from './iproute.js';
import type { NetConf } from './setup.js';
import { CniError, ErrorCode } from './spec.js';

export function masqueradeChain(networkName: string): string {
  return `KITE-MASQ-${shortHash(networkName)}`;
}

export async function ensureMasquerade(conf: NetConf): Promise<void> {
  const chain = masqueradeChain(conf.name);
  const subnet = `${formatIPv4(conf.ipam.subnet.base)}/${conf.ipam.subnet.prefix}`;
  // The network name is [A-Za-z0-9_.-] (setup.ts), safe inside double quotes.
  const jump = `-s ${subnet} -m comment --comment "kite-bridge network ${conf.name}" -j ${chain}`;
  const rules = ['*nat', `:${chain} - [0:0]`, `-A ${chain} -d ${subnet} -j RETURN`, `-A ${chain} -d 224.0.0.0/4 -j RETURN`, `-A ${chain} -j MASQUERADE`, `-A POSTROUTING ${jump}`, 'COMMIT', ''].join('\n');
  const script = `iptables -w -t nat -C POSTROUTING ${jump} 2>/dev/null && exit 0\nprintf '%s' "$1" | iptables-restore -w --noflush`;
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = spawn('flock', ['-w', '30', `${conf.ipam.dir}/.masquerade.lock`, 'sh', '-c', script, 'sh', rules], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => resolve({ code: 127, stderr: e.message }));
    child.on('close', (c) => resolve({ code: c ?? 1, stderr: err }));
  });
  if (code !== 0) throw new CniError(ErrorCode.MasqueradeFailed, `kite-bridge: cannot install the ipMasq rules for ${subnet}: ${stderr.trim() || `exit ${code}`}`);
}
