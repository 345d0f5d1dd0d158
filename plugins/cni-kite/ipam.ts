// kite-ipam: address allocations on disk, one file per address.
//
// <dir>/<a.b.c.d>   holds "<containerID>\n<ifname>\n": the address belongs to that attachment
// <dir>/last_reserved_ip   the last address handed out; the next search starts after it, so a
//                          freed address is reused last (stale peers do not reach a new pod)
//
// Claiming an address is one link(2) of a fully written temporary file onto the address's name:
// link fails with EEXIST if another process claimed it first, and a reader never sees a
// half-written claim. No lock is held, so parallel ADDs (separate processes) never wait on each
// other, a crash leaves no stale lock, and allocations survive restarts because they are files.
import { linkSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { cidrContains, formatIPv4, parseIPv4 } from '../../kernel/net/ipv4.js';
import type { Attachment, IpamConfig } from './setup.js';
import { CniError, ErrorCode } from './spec.js';

const LAST_RESERVED = 'last_reserved_ip';
const TEMP_PREFIX = '.tmp-';
/** Temporary files older than this are leftovers of a crashed plugin (GC removes them). */
const STALE_TEMP_MS = 60_000;

export interface Allocation extends Attachment {
  ip: number;
}

function ioError(what: string, err: unknown): CniError {
  return new CniError(ErrorCode.IoFailure, `kite-ipam: ${what}: ${(err as Error).message}`);
}

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw ioError(`cannot create ${dir}`, err);
  }
}

/** Every allocation recorded in `dir` (an absent directory has none). */
export function listAllocations(dir: string): Allocation[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError(`cannot read ${dir}`, err);
  }
  const out: Allocation[] = [];
  for (const name of names) {
    const ip = parseIPv4(name);
    if (ip === undefined) continue;
    let text: string;
    try {
      text = readFileSync(`${dir}/${name}`, 'utf8');
    } catch {
      continue; // released while we listed
    }
    const [containerID = '', ifname = ''] = text.split('\n');
    out.push({ ip, containerID, ifname });
  }
  return out;
}

function sameAttachment(a: Attachment, b: Attachment): boolean {
  return a.containerID === b.containerID && a.ifname === b.ifname;
}

export function findAllocation(dir: string, att: Attachment): Allocation | undefined {
  return listAllocations(dir).find((a) => sameAttachment(a, att));
}

function readLastReserved(dir: string): number | undefined {
  try {
    return parseIPv4(readFileSync(`${dir}/${LAST_RESERVED}`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

function writeAtomically(dir: string, name: string, content: string): void {
  const tmp = `${dir}/${TEMP_PREFIX}${process.pid}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, content);
  renameSync(tmp, `${dir}/${name}`);
}

/**
 * The address of `att`, claiming a free one if it has none yet (ADD is idempotent per
 * container id + ifname, as the spec asks of IPAM).
 */
export function allocate(conf: IpamConfig, att: Attachment): number {
  return claim(conf, att).ip;
}

/** As allocate, and says whether the address is newly claimed (a failed ADD releases only those). */
export function claim(conf: IpamConfig, att: Attachment): { ip: number; fresh: boolean } {
  ensureDir(conf.dir);
  const existing = findAllocation(conf.dir, att);
  if (existing) return { ip: existing.ip, fresh: false };
  const size = conf.rangeEnd - conf.rangeStart + 1;
  const last = readLastReserved(conf.dir);
  const startOffset = last !== undefined && last >= conf.rangeStart && last <= conf.rangeEnd ? last - conf.rangeStart + 1 : 0;
  const tmp = `${conf.dir}/${TEMP_PREFIX}${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(tmp, `${att.containerID}\n${att.ifname}\n`);
  } catch (err) {
    throw ioError(`cannot write in ${conf.dir}`, err);
  }
  try {
    for (let i = 0; i < size; i++) {
      const ip = conf.rangeStart + ((startOffset + i) % size);
      if (ip === conf.gateway) continue;
      try {
        linkSync(tmp, `${conf.dir}/${formatIPv4(ip)}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw ioError(`cannot record ${formatIPv4(ip)}`, err);
      }
      try {
        writeAtomically(conf.dir, LAST_RESERVED, formatIPv4(ip));
      } catch {
        // Only a search hint: a lost update costs a longer search next time.
      }
      return { ip, fresh: true };
    }
  } finally {
    try { unlinkSync(tmp); } catch { /* already gone */ }
  }
  throw new CniError(ErrorCode.AddressPoolExhausted, `kite-ipam: no free address in ${formatIPv4(conf.rangeStart)}-${formatIPv4(conf.rangeEnd)} (${size} addresses, all allocated)`);
}

/** Frees every address held by `att`; freeing nothing is success (DEL is idempotent). */
export function release(dir: string, att: Attachment): number[] {
  const freed: number[] = [];
  for (const a of listAllocations(dir)) {
    if (!sameAttachment(a, att)) continue;
    try {
      unlinkSync(`${dir}/${formatIPv4(a.ip)}`);
      freed.push(a.ip);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(`cannot release ${formatIPv4(a.ip)}`, err);
    }
  }
  return freed;
}

/**
 * GC: frees allocations of attachments the runtime no longer knows, and crash leftovers. Only
 * addresses inside this config's subnet count as this network's: nodes that share a dataDir
 * with other subnets never free each other's.
 */
export function collectGarbage(conf: IpamConfig, valid: Attachment[]): number[] {
  const dir = conf.dir;
  const keep = new Set(valid.map((a) => `${a.containerID}\n${a.ifname}`));
  const freed: number[] = [];
  for (const a of listAllocations(dir)) {
    if (keep.has(`${a.containerID}\n${a.ifname}`) || !cidrContains(conf.subnet, a.ip)) continue;
    freed.push(...release(dir, a));
  }
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { /* nothing allocated */ }
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    try {
      if (Date.now() - statSync(`${dir}/${name}`).mtimeMs > STALE_TEMP_MS) unlinkSync(`${dir}/${name}`);
    } catch { /* raced with its owner */ }
  }
  return freed;
}

/** How many addresses of the range are still free. */
export function freeAddresses(conf: IpamConfig): number {
  const inRange = conf.gateway >= conf.rangeStart && conf.gateway <= conf.rangeEnd ? 1 : 0;
  const used = listAllocations(conf.dir).filter((a) => a.ip >= conf.rangeStart && a.ip <= conf.rangeEnd && a.ip !== conf.gateway).length;
  return conf.rangeEnd - conf.rangeStart + 1 - inRange - used;
}
