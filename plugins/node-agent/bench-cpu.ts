// CPU accounting for the node benchmark: on a shared machine latency swings with the other
// tenants, CPU spent does not. The bench process moves itself into a cgroup v1 `cpuacct` group of
// its own before it starts anything, so nats-server, the launcher, sandboxes, supervisors, runc and
// the containers (whose cgroups are made under the same parent) are all counted in one number.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CPUACCT = '/sys/fs/cgroup/cpuacct';

export interface CpuSample {
  /** Everything in the group, in core-seconds (undefined without cpuacct). */
  allCoreS?: number;
  /** This process alone (store client + node agent of the bench). */
  benchCoreS: number;
}

export class CpuMeter {
  /** The group's name under every controller; the runtime's cgroupParent goes below it. */
  readonly group: string;
  private readonly dir?: string;
  private readonly previous?: string;

  constructor() {
    this.group = `kite-bench-${process.pid}`;
    if (process.getuid?.() !== 0 || !existsSync(join(CPUACCT, 'cpuacct.usage'))) return;
    const dir = join(CPUACCT, this.group);
    try {
      this.previous = /^\d+:cpuacct:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cgroup.procs'), String(process.pid));
      this.dir = dir;
    } catch {
      // No accounting: the bench still reports latencies.
    }
  }

  sample(): CpuSample {
    const own = process.cpuUsage();
    const benchCoreS = (own.user + own.system) / 1e6;
    if (!this.dir) return { benchCoreS };
    return { allCoreS: Number(readFileSync(join(this.dir, 'cpuacct.usage'), 'utf8')) / 1e9, benchCoreS };
  }

  static delta(from: CpuSample, to: CpuSample): CpuSample {
    return {
      ...(from.allCoreS !== undefined && to.allCoreS !== undefined ? { allCoreS: to.allCoreS - from.allCoreS } : {}),
      benchCoreS: to.benchCoreS - from.benchCoreS,
    };
  }

  /** Moves this process back and removes the group (and the empty per-controller parents). */
  close(): void {
    if (this.dir) {
      try { writeFileSync(join(CPUACCT, this.previous ?? '/', 'cgroup.procs'), String(process.pid)); } catch { /* best effort */ }
    }
    const root = '/sys/fs/cgroup';
    for (const controller of existsSync(root) ? readdirSync(root) : []) {
      const dir = join(root, controller, this.group);
      if (!existsSync(dir)) continue;
      // Children (runtimes' parents) were removed by their own teardown; a leftover empty one goes too.
      for (const sub of readdirSync(dir, { withFileTypes: true })) if (sub.isDirectory()) try { rmdirSync(join(dir, sub.name)); } catch { /* busy */ }
      try { rmdirSync(dir); } catch { /* busy: processes still ending */ }
    }
  }
}
