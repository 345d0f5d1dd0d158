// `kite scheduler explain`: a dry run of one scheduling cycle for a pod against the current cache,
// nothing written. Per node: the Filter plugin that rejected it and why, or per score plugin the
// raw, normalized and weighted score and the total (what kube-scheduler-simulator shows).
import { StatusError } from '../../kernel/objects/status.js';
import { SchedulingAlgorithm, fitErrorMessage } from './cycle.js';
import { CycleState, type Status } from './framework/interfaces.js';
import { newPodInfo } from './framework/podinfo.js';
import type { Scheduler } from './scheduler.js';

export interface ExplainScore {
  plugin: string;
  /** The plugin's raw score (kernel-computed plugins have none: null). */
  raw: number | null;
  normalized: number;
  weight: number;
  weighted: number;
}

export interface ExplainNode {
  node: string;
  feasible: boolean;
  /** For rejected nodes: the plugin, its status code and reasons. */
  rejectedBy?: string;
  code?: string;
  reasons?: string[];
  scores?: ExplainScore[];
  total?: number;
}

export interface ExplainResult {
  pod: string;
  profile: string;
  /** Set when the pod is already bound (the dry run ignores that). */
  boundTo?: string;
  nodes: ExplainNode[];
  /** The node the scheduler would pick (ties broken as the scheduler does), if any. */
  selected?: string;
  /** The FailedScheduling message it would write when no node fits (without PostFilter). */
  message?: string;
  error?: string;
}

export function explainPod(s: Scheduler, namespace: string, name: string): ExplainResult {
  const pod = s.pods.get(namespace, name);
  if (!pod) throw new StatusError(404, 'NotFound', `pods "${name}" not found`);
  const fwk = s.frameworkFor(pod);
  const profile = (pod.spec.schedulerName as string | undefined) || 'default-scheduler';
  if (!fwk) throw new StatusError(422, 'Invalid', `pod ${namespace}/${name} asks for scheduler "${profile}", which has no profile here`);
  const bound = pod.spec.nodeName as string | undefined;
  const unbound = bound ? { ...pod, spec: { ...pod.spec, nodeName: undefined } } : pod;
  const snapshot = s.cache.newSnapshot();
  const statuses = new Map<string, Status>();
  const outcome = new SchedulingAlgorithm(s.cache.scorer.capacity).schedule(
    { fwk, snapshot, scorer: s.cache.scorer, percentageOfNodesToScore: 100 },
    new CycleState(),
    newPodInfo(unbound),
    { details: true, evaluateAll: true, statuses },
  );
  const result: ExplainResult = { pod: `${namespace}/${name}`, profile, ...(bound ? { boundTo: bound } : {}), nodes: [] };
  if (outcome.kind === 'error') {
    result.error = outcome.status.reasons.join(', ') || outcome.status.error?.message || 'error';
    return result;
  }
  const absent = outcome.kind === 'unschedulable' ? outcome.diagnosis.absentStatus : undefined;
  const feasible = new Set(outcome.kind === 'scheduled' ? outcome.feasible.map((n) => n.name) : []);
  const weights = new Map(fwk.score.map((e) => [e.plugin.name, e.weight]));
  const raws = new Map(outcome.kind === 'scheduled' ? outcome.extras.map((e) => [e.name, e.raw]) : []);
  const details = outcome.kind === 'scheduled' ? outcome.score?.details ?? [] : [];
  for (const ni of snapshot.nodeList) {
    const st = statuses.get(ni.name) ?? (feasible.has(ni.name) ? undefined : absent);
    if (st) {
      result.nodes.push({ node: ni.name, feasible: false, rejectedBy: st.plugin ?? '', code: st.code, reasons: [...st.reasons] });
      continue;
    }
    if (!feasible.has(ni.name)) continue;
    const scores = details.map((d) => {
      const normalized = d.scores[ni.index]!;
      const weight = weights.get(d.plugin) ?? 1;
      const raw = raws.get(d.plugin);
      return { plugin: d.plugin, raw: raw ? raw[ni.index]! : null, normalized, weight, weighted: normalized * weight };
    });
    const total = outcome.kind === 'scheduled' && outcome.score ? outcome.score.totals[ni.index]! : scores.reduce((a, x) => a + x.weighted, 0);
    result.nodes.push({ node: ni.name, feasible: true, scores, total });
  }
  if (outcome.kind === 'scheduled') result.selected = outcome.node.name;
  else result.message = outcome.message ?? fitErrorMessage(outcome.diagnosis);
  return result;
}

/** The human-readable form: rejected nodes, then feasible nodes by total, the pick last. */
export function formatExplain(r: ExplainResult): string {
  const lines = [`Pod ${r.pod} (scheduler ${r.profile})${r.boundTo ? `, already bound to ${r.boundTo}; dry run as if unbound` : ''}`];
  if (r.error) return [...lines, `Error: ${r.error}`, ''].join('\n');
  const rejected = r.nodes.filter((n) => !n.feasible);
  if (rejected.length) {
    lines.push('', 'Filtered out:', table([['NODE', 'PLUGIN', 'CODE', 'REASON'], ...rejected.map((n) => [n.node, n.rejectedBy ?? '', n.code ?? '', (n.reasons ?? []).join(', ')])]));
  }
  const feasible = r.nodes.filter((n) => n.feasible).sort((a, b) => (b.total ?? 0) - (a.total ?? 0));
  if (feasible.length) {
    const rows = [['NODE', 'PLUGIN', 'RAW', 'NORMALIZED', 'WEIGHT', 'WEIGHTED']];
    for (const n of feasible) {
      for (const s of n.scores ?? []) rows.push([n.node, s.plugin, s.raw === null ? '-' : String(s.raw), String(s.normalized), String(s.weight), String(s.weighted)]);
      rows.push([n.node, 'TOTAL', '', '', '', String(n.total)]);
    }
    lines.push('', 'Scores:', table(rows));
  }
  lines.push('', r.selected ? `Selected node: ${r.selected}` : `No node fits: ${r.message}`, '');
  return lines.join('\n');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}
