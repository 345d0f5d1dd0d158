// Liveness, readiness and startup probes of one running container instance: periodic checks with
// upstream's thresholds, reported to the pod worker as result changes.
import type { ContainerRuntime } from './runtime.js';
import type { ContainerSpec, Probe } from './pod-types.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeListener {
  /** Startup probe succeeded (or there is none): liveness and readiness begin. */
  started(): void;
  ready(ready: boolean): void;
  /** Liveness (or startup) failed `failureThreshold` times in a row: the container must be restarted. */
  unhealthy(kind: ProbeKind, message: string): void;
  /** One failed check (for the Unhealthy event). */
  failed(kind: ProbeKind, message: string): void;
}

function portOf(c: ContainerSpec, port: number | string): number {
  if (typeof port === 'number') return port;
  const named = c.ports?.find((p) => p.name === port)?.containerPort;
  return named ?? Number(port);
}

export class ContainerProber {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly checks = new Set<Promise<unknown>>();

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly spec: ContainerSpec,
    private readonly containerId: string,
    private readonly sandboxId: string,
    private readonly listener: ProbeListener,
  ) {}

  start(): void {
    if (this.spec.startupProbe) this.loop('startup', this.spec.startupProbe);
    else this.afterStartup();
  }

  /** Stops probing; resolves when a check in progress (e.g. a `runc exec`) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.checks);
  }

  private afterStartup(): void {
    this.listener.started();
    if (this.spec.livenessProbe) this.loop('liveness', this.spec.livenessProbe);
    if (this.spec.readinessProbe) this.loop('readiness', this.spec.readinessProbe);
    else this.listener.ready(true);
  }

  private loop(kind: ProbeKind, probe: Probe): void {
    const period = (probe.periodSeconds ?? 10) * 1000;
    const failureThreshold = probe.failureThreshold ?? 3;
    const successThreshold = probe.successThreshold ?? 1;
    let failures = 0;
    let successes = 0;
    let lastReady: boolean | undefined;
    const tick = async () => {
      if (this.stopped) return;
      const pending = this.check(probe);
      this.checks.add(pending);
      const result = await pending.finally(() => this.checks.delete(pending));
      if (this.stopped) return;
      if (result.ok) {
        failures = 0;
        successes++;
        if (kind === 'startup') return this.afterStartup();
        if (kind === 'readiness' && successes >= successThreshold && lastReady !== true) this.listener.ready((lastReady = true));
      } else {
        successes = 0;
        failures++;
        this.listener.failed(kind, result.message ?? 'probe failed');
        if (failures >= failureThreshold) {
          if (kind === 'readiness') {
            if (lastReady !== false) this.listener.ready((lastReady = false));
          } else {
            this.listener.unhealthy(kind, result.message ?? 'probe failed');
            return;
          }
        }
      }
      this.schedule(tick, period);
    };
    this.schedule(tick, (probe.initialDelaySeconds ?? 0) * 1000);
  }

  private schedule(fn: () => Promise<void>, ms: number): void {
    const t = setTimeout(() => { this.timers.delete(t); void fn(); }, ms);
    this.timers.add(t);
  }

  private async check(probe: Probe): Promise<{ ok: boolean; message?: string }> {
    const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
    try {
      if (probe.exec) {
        const r = await this.runtime.exec(this.containerId, probe.exec.command, timeoutMs);
        return r.exitCode === 0 ? { ok: true } : { ok: false, message: r.output.trim() || `command ${JSON.stringify(probe.exec.command.join(' '))} exited with ${r.exitCode}` };
      }
      if (probe.httpGet) {
        const g = probe.httpGet;
        return await this.runtime.checkNetwork(this.sandboxId, { kind: 'http', port: portOf(this.spec, g.port), path: g.path ?? '/', host: g.host, scheme: g.scheme }, timeoutMs);
      }
      if (probe.tcpSocket) {
        return await this.runtime.checkNetwork(this.sandboxId, { kind: 'tcp', port: portOf(this.spec, probe.tcpSocket.port), host: probe.tcpSocket.host }, timeoutMs);
      }
      if (probe.grpc) return await this.runtime.checkNetwork(this.sandboxId, { kind: 'grpc', port: probe.grpc.port, ...(probe.grpc.service ? { service: probe.grpc.service } : {}) }, timeoutMs);
      return { ok: true };
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }
}
