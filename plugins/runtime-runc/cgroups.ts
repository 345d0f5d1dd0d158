// Per-container cgroups (v1 hierarchy, as on this machine): the limits sit on
// `/sys/fs/cgroup/<controller>/kite/<id>` which the agent owns, and runc puts the process in the
// child `…/kite/<id>/runc`. The parent outlives runc's own cleanup, so after an exit its memory
// counters still tell whether the limit was hit (OOMKilled).
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerResources } from '../node-agent/runtime.js';

export interface CgroupLayout {
  /** Mount point of the v1 hierarchies, normally /sys/fs/cgroup. */
  root: string;
  /** Parent path under every controller, e.g. `kite`. */
  parent: string;
}

const CFS_PERIOD_US = 100_000;

export class Cgroups {
  constructor(private readonly layout: CgroupLayout) {}

  /** The cgroupsPath runc gets in config.json. */
  runcPath(id: string): string {
    return `/${this.layout.parent}/${id}/runc`;
  }

  private dir(controller: string, id: string): string {
    return join(this.layout.root, controller, this.layout.parent, id);
  }

  async create(id: string, resources: ContainerResources): Promise<void> {
    const memory = this.dir('memory', id);
    await mkdir(memory, { recursive: true });
    if (resources.memoryLimitBytes) await writeFile(join(memory, 'memory.limit_in_bytes'), String(Math.floor(resources.memoryLimitBytes)));
    const cpu = this.dir('cpu', id);
    await mkdir(cpu, { recursive: true });
    if (resources.cpuLimitMillis) {
      await writeFile(join(cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
      await writeFile(join(cpu, 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round((resources.cpuLimitMillis * CFS_PERIOD_US) / 1000))));
    }
    // Upstream: shares = request * 1024 / 1000, at least 2.
    const shares = resources.cpuRequestMillis ? Math.max(2, Math.round((resources.cpuRequestMillis * 1024) / 1000)) : 2;
    await writeFile(join(cpu, 'cpu.shares'), String(shares));
  }

  /** True when the container's memory limit was reached (with exit 137: OOMKilled). */
  async hitMemoryLimit(id: string): Promise<boolean> {
    const memory = this.dir('memory', id);
    try {
      const limit = Number(await readFile(join(memory, 'memory.limit_in_bytes'), 'utf8'));
      const failcnt = Number(await readFile(join(memory, 'memory.failcnt'), 'utf8'));
      const oom = await readFile(join(memory, 'memory.oom_control'), 'utf8');
      const kills = Number(/oom_kill (\d+)/.exec(oom)?.[1] ?? '0');
      return kills > 0 || (failcnt > 0 && limit < 2 ** 62);
    } catch {
      return false;
    }
  }

  /** Removes the container's cgroups in every controller (runc's child first). */
  async remove(id: string): Promise<void> {
    if (!existsSync(this.layout.root)) return;
    for (const controller of readdirSync(this.layout.root)) {
      const dir = this.dir(controller, id);
      if (!existsSync(dir)) continue;
      await rmdir(join(dir, 'runc')).catch(() => undefined);
      await rmdir(dir).catch(() => undefined);
    }
  }
}
