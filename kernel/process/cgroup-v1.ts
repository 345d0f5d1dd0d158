// Usage counters of a cgroup v1 pair (cpuacct + memory directories), as cAdvisor reads them for the
// kubelet's resource metrics: cumulative CPU from cpuacct.usage, and the memory working set =
// memory.usage_in_bytes minus total_inactive_file (pages the kernel can drop first). Shared by the
// node agent (the root cgroup: the node) and the runc runtime (a container's cgroups).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CgroupUsage {
  /** Cumulative CPU time in nanoseconds (children included). */
  cpuNs: number;
  workingSetBytes: number;
}

/** A `key value` line of a cgroup stat file, or undefined. */
export function statField(text: string, key: string): number | undefined {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/** The counters of `<cpuacctDir>` and `<memoryDir>`; undefined when either is missing (cgroup gone). */
export async function readCgroupV1Usage(cpuacctDir: string, memoryDir: string): Promise<CgroupUsage | undefined> {
  try {
    const [cpu, usage, stat] = await Promise.all([
      readFile(join(cpuacctDir, 'cpuacct.usage'), 'utf8'),
      readFile(join(memoryDir, 'memory.usage_in_bytes'), 'utf8'),
      readFile(join(memoryDir, 'memory.stat'), 'utf8'),
    ]);
    const memory = Number(usage);
    const inactive = statField(stat, 'total_inactive_file') ?? 0;
    const cpuNs = Number(cpu);
    if (!Number.isFinite(cpuNs) || !Number.isFinite(memory)) return undefined;
    return { cpuNs, workingSetBytes: inactive < memory ? memory - inactive : 0 };
  } catch {
    return undefined;
  }
}
