// The example plugin: answers echo requests on the bus with its greeting and where it runs.
import { threadId } from 'node:worker_threads';
import type { Counter } from 'prom-client';
import { inject, injectable } from 'tsyringe';
import { subjects, type BusSubscription } from '../../kernel/bus/types.js';
import { counterOn } from '../../kernel/plugin/metrics.js';
import type { Plugin } from '../../kernel/plugin/types.js';
import { Bus, Logger, MetricsRegistry, PluginContext, PluginOptions } from '../../kernel/tokens.js';
import type { ExampleOptions } from './setup.js';

/** What an echo request returns. */
export interface EchoReply {
  greeting: string;
  text: string;
  placement: string;
  pid: number;
  threadId: number;
}

export function echoSubject(entryName: string, options: Pick<ExampleOptions, 'subject'>): string {
  return options.subject ?? subjects.example(`${entryName}.echo`);
}

@injectable()
export class EchoPlugin implements Plugin {
  private subscription?: BusSubscription;
  private readonly requests: Counter<'plugin'>;

  constructor(
    @inject(Bus) private readonly bus: Bus,
    @inject(Logger) private readonly logger: Logger,
    @inject(MetricsRegistry) metrics: MetricsRegistry,
    @inject(PluginOptions) private readonly options: ExampleOptions,
    @inject(PluginContext) private readonly context: PluginContext,
  ) {
    this.requests = counterOn(metrics, { name: 'kite_example_requests_total', help: 'Echo requests answered by the example plugin', labelNames: ['plugin'] });
  }

  async start(): Promise<void> {
    if (this.options.failStart) throw new Error('failStart is set: refusing to start');
    const subject = echoSubject(this.context.name, this.options);
    this.subscription = this.bus.serve(subject, (req) => {
      this.requests.inc({ plugin: this.context.name });
      const reply: EchoReply = { greeting: this.options.greeting, text: req.text(), placement: this.context.placement, pid: process.pid, threadId };
      return reply;
    });
    await this.bus.flush();
    this.logger.info('serving echo', { subject });
  }

  async stop(): Promise<void> {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }
}
