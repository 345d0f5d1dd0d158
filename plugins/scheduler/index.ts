// The scheduler plugin's manifest: kube-scheduler's framework, queue and cache over the store,
// with leader election so only one scheduler acts when several Kite servers run.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { inject, injectable } from 'tsyringe';
import { LeaderElector } from '../../kernel/controller/leader.js';
import { PluginConfigError, type Plugin, type PluginManifest } from '../../kernel/plugin/types.js';
import { Logger, MetricsRegistry, ObjectStore, PluginOptions } from '../../kernel/tokens.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import { setup, type SchedulerOptions } from './setup.js';

@injectable()
export class SchedulerPlugin implements Plugin {
  private scheduler?: Scheduler;
  private elector?: LeaderElector;
  private acting?: Promise<void>;

  constructor(
    @inject(ObjectStore) private readonly store: ObjectStore,
    @inject(Logger) private readonly logger: Logger,
    @inject(MetricsRegistry) private readonly metrics: MetricsRegistry,
    @inject(PluginOptions) private readonly options: SchedulerOptions,
  ) {}

  /** The running scheduler while this instance leads (tests and embedders). */
  get current(): Scheduler | undefined {
    return this.scheduler;
  }

  private async build(): Promise<Scheduler> {
    try {
      return await createScheduler({ store: this.store, logger: this.logger, metrics: this.metrics, config: this.options });
    } catch (e) {
      // Out-of-tree plugins are checked here, after their modules load: keep the key in the message.
      if (e instanceof PluginConfigError) throw new PluginConfigError(e.key, `options.${e.key}: ${e.message}`);
      throw e;
    }
  }

  async start(): Promise<void> {
    // Building once up front surfaces configuration errors (unknown plugins, bad args) at start.
    const first = await this.build();
    const le = this.options.leaderElection;
    if (!le.leaderElect) {
      this.scheduler = first;
      await first.start();
      return;
    }
    let next: Scheduler | undefined = first;
    this.elector = new LeaderElector(this.store, {
      leaseName: le.resourceName,
      namespace: le.resourceNamespace,
      identity: `${hostname()}_${randomUUID()}`,
      leaseDurationMs: le.leaseDurationMs,
      renewDeadlineMs: le.renewDeadlineMs,
      retryPeriodMs: le.retryPeriodMs,
      logger: this.logger,
      onStartedLeading: async () => {
        const s = next ?? (await this.build());
        next = undefined;
        this.scheduler = s;
        this.acting = s.start();
        await this.acting;
      },
      onStoppedLeading: async () => {
        const s = this.scheduler;
        this.scheduler = undefined;
        await this.acting?.catch(() => undefined);
        await s?.stop();
      },
    });
    this.elector.start();
  }

  async stop(): Promise<void> {
    if (this.elector) await this.elector.stop(true);
    else await this.scheduler?.stop();
    this.scheduler = undefined;
  }
}

const manifest: PluginManifest<SchedulerOptions> = {
  name: 'scheduler',
  kind: 'Scheduler',
  version: '0.1.0',
  kernelApi: '1.0',
  setup,
  plugin: SchedulerPlugin,
};

export default manifest;
