// KubeSchedulerConfiguration parsing: defaults (upstream's default profile and weights), merging
// of enabled/disabled per extension point, and refusals naming the key path.
import t from 'tap';
import { Registry } from 'prom-client';
import { PluginConfigError } from '../../kernel/plugin/types.js';
import { parseSchedulerConfig, validateProfiles } from './config.js';
import type { Handle, PluginFactory } from './framework/interfaces.js';
import { Framework } from './framework/runtime.js';
import { schedulerMetrics } from './metrics.js';
import { setup } from './setup.js';
import { testFactories } from './testdata/plugins.js';

const registry = new Map<string, PluginFactory>(testFactories.map((f) => [f.name, f]));
const argsFactory: PluginFactory<{ weight: number }> = {
  name: 'Weighted',
  validate(a: unknown) {
    const w = (a as { weight?: unknown } | undefined)?.weight ?? 1;
    if (typeof w !== 'number') throw new Error('WeightedArgs.weight: must be a number');
    return { weight: w };
  },
  create: () => ({ name: 'Weighted', score: () => ({ score: 0, status: { code: 'Success', reasons: [] } }) }),
};
registry.set('Weighted', argsFactory as PluginFactory);

function refusal(fn: () => unknown): { key: string; message: string } | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof PluginConfigError) return { key: e.key, message: e.message };
    throw e;
  }
  return undefined;
}

function build(raw: unknown): Framework {
  const config = parseSchedulerConfig(raw);
  const args = validateProfiles(config, registry);
  return new Framework({ profile: config.profiles[0]!, args: args[0]!, factories: registry, handle: {} as Handle, metrics: schedulerMetrics(new Registry()), capacity: 16, keyPrefix: 'profiles[0]' });
}

t.test('defaults: one default-scheduler profile with upstream plugins and weights', async (t) => {
  const c = setup(undefined);
  t.equal(c.profiles.length, 1);
  t.equal(c.profiles[0]!.schedulerName, 'default-scheduler');
  t.same(
    c.profiles[0]!.plugins.multiPoint.enabled.filter((p) => p.weight).map((p) => `${p.name}=${p.weight}`),
    ['TaintToleration=3', 'NodeAffinity=2', 'NodeResourcesFit=1', 'PodTopologySpread=2', 'InterPodAffinity=2', 'NodeResourcesBalancedAllocation=1', 'ImageLocality=1'],
  );
  t.same(
    [c.percentageOfNodesToScore, c.podInitialBackoffSeconds, c.podMaxBackoffSeconds, c.scorer, c.leaderElection.leaderElect, c.leaderElection.resourceName],
    [0, 1, 10, 'wasm', true, 'kube-scheduler'],
  );
  t.equal(setup({ apiVersion: 'kubescheduler.config.k8s.io/v1', kind: 'KubeSchedulerConfiguration', leaderElection: { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '500ms' } }).leaderElection.retryPeriodMs, 500);
  // Defaults this build lacks are left out; named ones must exist.
  const cfg = parseSchedulerConfig(undefined);
  validateProfiles(cfg, registry);
  t.same(cfg.profiles[0]!.plugins.multiPoint.enabled.map((p) => p.name), ['PrioritySort', 'NodeAffinity', 'NodeResourcesFit', 'NodeResourcesBalancedAllocation', 'DefaultBinder']);
});

t.test('multiPoint expands to every extension point a plugin implements; per-point settings override', async (t) => {
  const f = build(undefined);
  t.same(f.filter.map((p) => p.name), ['NodeAffinity', 'NodeResourcesFit'], 'filter order follows multiPoint');
  t.same(f.score.map((e) => `${e.plugin.name}:${e.kind}:${e.weight}`), ['NodeResourcesFit:kernel:1', 'NodeResourcesBalancedAllocation:kernel:1']);
  t.equal(f.queueSort.name, 'PrioritySort');
  t.same(f.bind.map((p) => p.name), ['DefaultBinder']);
  const g = build({
    profiles: [{
      plugins: {
        filter: { disabled: [{ name: 'NodeAffinity' }] },
        score: { enabled: [{ name: 'Weighted', weight: 7 }, { name: 'NodeResourcesFit', weight: 5 }], disabled: [{ name: 'NodeResourcesBalancedAllocation' }] },
      },
      pluginConfig: [{ name: 'Weighted', args: { weight: 3 } }],
    }],
  });
  t.same(g.filter.map((p) => p.name), ['NodeResourcesFit']);
  t.same(g.score.map((e) => `${e.plugin.name}:${e.weight}`), ['Weighted:7', 'NodeResourcesFit:5'], 'explicit ones first, then multiPoint');
  const h = build({ profiles: [{ plugins: { multiPoint: { disabled: [{ name: '*' }], enabled: [{ name: 'PrioritySort' }, { name: 'DefaultBinder' }] } } }] });
  t.same([h.filter.length, h.score.length], [0, 0], '"*" disables every default');
});

t.test('refusals name the key path', async (t) => {
  const cases: [unknown, string, RegExp][] = [
    [{ profiles: [{ plugins: { score: { enabled: [{ name: 'NodeResourcesFit' }, { name: 'Foo' }] } } }] }, 'profiles[0].plugins.score.enabled[1].name', /^unknown plugin "Foo"$/],
    [{ percentageOfNodesToScore: 101 }, 'percentageOfNodesToScore', /between 0 and 100/],
    [{ podInitialBackoffSeconds: 5, podMaxBackoffSeconds: 2 }, 'podMaxBackoffSeconds', /greater than or equal/],
    [{ profiles: [{}, {}] }, 'profiles[1].schedulerName', /duplicate profile/],
    [{ profiles: [{ plugins: { filter: { enabled: [{ name: 'NodeAffinity', weight: 2 }] } } }] }, 'profiles[0].plugins.filter.enabled[0].weight', /only to score and multiPoint/],
    [{ profiles: [{ plugins: { sore: {} } }] }, 'profiles[0].plugins.sore', /unknown field/],
    [{ profiles: [{ pluginConfig: [{ name: 'Weighted', args: { weight: 'x' } }] }] }, 'profiles[0].pluginConfig[0].args', /WeightedArgs.weight: must be a number/],
    [{ profiles: [{ pluginConfig: [{ name: 'Nope' }] }] }, 'profiles[0].pluginConfig[0].name', /unknown plugin "Nope"/],
    [{ scorer: 'gpu' }, 'scorer', /"wasm" or "reference"/],
    [{ scorer: 'reference', scoreKernel: '/x.wasm' }, 'scoreKernel', /needs scorer: wasm/],
    [{ outOfTreePlugins: [{}] }, 'outOfTreePlugins[0].module', /module path/],
    [{ leaderElection: { leaseDuration: 'soon' } }, 'leaderElection.leaseDuration', /duration/],
    [{ apiVersion: 'kubescheduler.config.k8s.io/v1beta3' }, 'apiVersion', /must be "kubescheduler.config.k8s.io\/v1"/],
    [{ profile: [] }, 'profile', /unknown field/],
  ];
  for (const [raw, key, message] of cases) {
    const r = refusal(() => validateProfiles(parseSchedulerConfig(raw), registry));
    t.equal(r?.key, key, `key for ${JSON.stringify(raw)}`);
    t.match(r?.message, message);
  }
  t.same(refusal(() => build({ profiles: [{ plugins: { bind: { enabled: [{ name: 'NodeAffinity' }] } } }] })), { key: 'profiles[0].plugins.bind.enabled[0].name', message: 'plugin "NodeAffinity" does not extend bind plugin' });
  t.match(refusal(() => build({ profiles: [{ plugins: { queueSort: { disabled: [{ name: '*' }] } } }] })), { key: 'profiles[0].plugins.queueSort', message: /one queue sort plugin required/ });
  t.match(refusal(() => build({ profiles: [{ plugins: { bind: { disabled: [{ name: 'DefaultBinder' }] } } }] })), { key: 'profiles[0].plugins.bind', message: /at least one bind plugin/ });
});
