// IPv4 address and CIDR arithmetic shared by the node IPAM controller, the network plugin and the
// multi-node host network. Addresses are unsigned 32-bit numbers.

export interface Cidr {
  /** The network address (host bits cleared). */
  base: number;
  prefix: number;
}

export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const mask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** Parses `a.b.c.d/n`; undefined when malformed or when host bits are set. */
export function parseCidr(text: string): Cidr | undefined {
  const [ip, bits, ...rest] = text.split('/');
  if (rest.length > 0 || ip === undefined || bits === undefined || !/^\d{1,2}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  const base = parseIPv4(ip);
  if (base === undefined || prefix > 32) return undefined;
  if (((base & mask(prefix)) >>> 0) !== base) return undefined;
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.base;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b.base) || cidrContains(b, a.base);
}

/** The `index`-th subnet of `prefix` bits inside `c`. */
export function subnetAt(c: Cidr, prefix: number, index: number): Cidr {
  return { base: (c.base + index * 2 ** (32 - prefix)) >>> 0, prefix };
}

/** Which subnet of `prefix` bits of `c` this subnet is, or undefined when it is not one of them. */
export function subnetIndex(c: Cidr, sub: Cidr, prefix: number): number | undefined {
  if (sub.prefix !== prefix || !cidrContains(c, sub.base)) return undefined;
  return (sub.base - c.base) / 2 ** (32 - prefix);
}

/** The n-th address of a CIDR (1 = the first host address, used as the gateway). */
export function addressAt(c: Cidr, n: number): string {
  return formatIPv4((c.base + n) >>> 0);
}
