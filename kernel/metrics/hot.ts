// Histograms and counters for hot paths (a scheduling cycle, a store write): prom-client's own
// hash the label object and validate it on every observation (≈3 µs each; a scheduled pod makes a
// dozen). These keep one series object per label combination, found by a string key, with bucket
// counts in a typed array, and hand prom-client's Registry the same `get()` shape its own metrics
// do, so /metrics, getMetricsAsJSON and getSingleMetric work unchanged.
import type { Registry } from 'prom-client';

type Labels<L extends string> = Partial<Record<L, string | number>>;

interface MetricValue {
  labels: Record<string, string | number | undefined>;
  value: number;
  metricName?: string;
}

interface MetricObject {
  name: string;
  help: string;
  type: 'histogram' | 'counter';
  values: MetricValue[];
  aggregator: 'sum';
}

interface Config<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  registers?: Registry[];
}

abstract class HotMetric<L extends string, S extends { labels: Labels<L> }> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  protected readonly labelNames: readonly L[];
  protected series = new Map<string, S>();

  constructor(config: Config<L>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames ?? [];
    for (const r of config.registers ?? []) r.registerMetric(this as never);
  }

  /** The series for these labels, created on first use; unknown label names are refused as prom-client does. */
  protected seriesFor(labels: Labels<L> | undefined): S {
    let key = '';
    if (labels) for (const n of this.labelNames) key += `${labels[n] ?? ''}\u0000`;
    const found = this.series.get(key);
    if (found) return found;
    const clean: Labels<L> = {};
    for (const k of Object.keys(labels ?? {}) as L[]) {
      if (!this.labelNames.includes(k)) throw new Error(`Added label "${k}" is not included in initial labelset: ${JSON.stringify(this.labelNames)}`);
      if (labels![k] !== undefined) clean[k] = labels![k];
    }
    const created = this.newSeries(clean);
    this.series.set(key, created);
    return created;
  }

  protected abstract newSeries(labels: Labels<L>): S;

  reset(): void {
    this.series = new Map();
  }
}

interface HistogramSeries<L extends string> {
  labels: Labels<L>;
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** A child bound to one label combination: observe without any label lookup. */
export interface HotHistogramChild {
  observe(value: number): void;
}

export class HotHistogram<L extends string = string> extends HotMetric<L, HistogramSeries<L>> {
  readonly type = 'histogram' as const;
  private readonly upperBounds: Float64Array;

  constructor(config: Config<L> & { buckets: readonly number[] }) {
    super(config);
    this.upperBounds = Float64Array.from([...config.buckets].sort((a, b) => a - b));
  }

  protected newSeries(labels: Labels<L>): HistogramSeries<L> {
    return { labels, buckets: new Float64Array(this.upperBounds.length), sum: 0, count: 0 };
  }

  observe(labels: Labels<L>, value: number): void {
    record(this.seriesFor(labels), this.upperBounds, value);
  }

  /** Binds the labels once (the caller keeps the child for a fixed label set; a reset() detaches it). */
  labels(labels: Labels<L>): HotHistogramChild {
    const s = this.seriesFor(labels);
    const bounds = this.upperBounds;
    return { observe: (value) => record(s, bounds, value) };
  }

  startTimer(labels: Labels<L>): () => number {
    const start = performance.now();
    return () => {
      const seconds = (performance.now() - start) / 1000;
      this.observe(labels, seconds);
      return seconds;
    };
  }

  /** Registers the series with zero counts (prom-client's zero()). */
  zero(labels: Labels<L>): void {
    this.seriesFor(labels);
  }

  async get(): Promise<MetricObject> {
    const values: MetricValue[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.upperBounds.length; i++) {
        cumulative += s.buckets[i]!;
        values.push({ labels: { le: this.upperBounds[i]!, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

function record<L extends string>(s: HistogramSeries<L>, bounds: Float64Array, value: number): void {
  if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
  s.sum += value;
  s.count += 1;
  for (let i = 0; i < bounds.length; i++) {
    if (value <= bounds[i]!) {
      s.buckets[i]! += 1;
      return;
    }
  }
}

interface CounterSeries<L extends string> {
  labels: Labels<L>;
  value: number;
}

export class HotCounter<L extends string = string> extends HotMetric<L, CounterSeries<L>> {
  readonly type = 'counter' as const;

  protected newSeries(labels: Labels<L>): CounterSeries<L> {
    return { labels, value: 0 };
  }

  /** Binds the labels once (a reset() detaches the child). */
  labels(labels: Labels<L>): { inc(value?: number): void } {
    const s = this.seriesFor(labels);
    return {
      inc: (value = 1) => {
        if (!Number.isFinite(value) || value < 0) throw new Error(`It is not possible to decrease a counter (or add ${value})`);
        s.value += value;
      },
    };
  }

  inc(labels?: Labels<L> | number, value = 1): void {
    if (typeof labels === 'number') return this.inc(undefined, labels);
    if (!Number.isFinite(value) || value < 0) throw new Error(`It is not possible to decrease a counter (or add ${value})`);
    this.seriesFor(labels).value += value;
  }

  async get(): Promise<MetricObject> {
    const values = [...this.series.values()].map((s) => ({ labels: { ...s.labels }, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** The metric named `name` on the registry, or the one `create` makes and registers there. */
export function hotOnce<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}
