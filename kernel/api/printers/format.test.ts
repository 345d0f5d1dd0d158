import t from 'tap';
import { accessModes, formatLabels, formatLabelSelector, humanDuration, labelSelectorString, listWithMore, rfc3339, shortHumanDuration, since } from './format.js';
import { day, hour, min, NOW, sec } from './testutil.js';

t.test('humanDuration thresholds', async (t) => {
  const vectors: Array<[number, string]> = [
    [-sec(3), '<invalid>'],
    [-sec(2), '<invalid>'],
    [-1999, '0s'],
    [-sec(1), '0s'],
    [0, '0s'],
    [999, '0s'],
    [sec(5), '5s'],
    [sec(59), '59s'],
    [sec(119), '119s'],
    [sec(120), '2m'],
    [sec(150), '2m30s'],
    [min(9) + sec(59), '9m59s'],
    [min(10), '10m'],
    [min(10) + sec(30), '10m'],
    [min(179), '179m'],
    [hour(3), '3h'],
    [hour(3) + min(20), '3h20m'],
    [hour(7) + min(59), '7h59m'],
    [hour(8), '8h'],
    [hour(8) + min(30), '8h'],
    [hour(47), '47h'],
    [hour(48), '2d'],
    [day(3) + hour(4), '3d4h'],
    [day(7) + hour(23), '7d23h'],
    [day(8), '8d'],
    [day(8) + hour(5), '8d'],
    [day(729), '729d'],
    [day(730), '2y'],
    [day(730 + 30), '2y30d'],
    [day(365 * 7 + 364), '7y364d'],
    [day(365 * 8), '8y'],
    [day(365 * 10 + 100), '10y'],
  ];
  for (const [ms, want] of vectors) t.equal(humanDuration(ms), want, `${ms}ms`);
});

t.test('shortHumanDuration thresholds', async (t) => {
  const vectors: Array<[number, string]> = [
    [-sec(2), '<invalid>'],
    [-sec(1), '0s'],
    [sec(59), '59s'],
    [sec(60), '1m'],
    [min(59) + sec(59), '59m'],
    [min(60), '1h'],
    [hour(23), '23h'],
    [hour(24), '1d'],
    [day(364), '364d'],
    [day(365), '1y'],
    [day(365 * 3 + 10), '3y'],
  ];
  for (const [ms, want] of vectors) t.equal(shortHumanDuration(ms), want, `${ms}ms`);
});

t.test('ages and timestamps', async (t) => {
  t.equal(since(undefined, NOW), '<unknown>');
  t.equal(since('', NOW), '<unknown>');
  t.equal(since('not a time', NOW), '<unknown>');
  t.equal(since('2024-06-01T11:57:30Z', NOW), '2m30s');
  t.equal(since('2024-06-01T12:00:10Z', NOW), '<invalid>', 'future beyond clock skew');
  t.equal(rfc3339('2024-06-01T11:57:30.123Z'), '2024-06-01T11:57:30Z');
  t.equal(rfc3339('2024-06-01T13:57:30+02:00'), '2024-06-01T11:57:30Z', 'converted to UTC');
  t.equal(rfc3339(undefined), '0001-01-01T00:00:00Z');
});

t.test('label maps and selectors', async (t) => {
  t.equal(formatLabels({ tier: 'web', app: 'x' }), 'app=x,tier=web');
  t.equal(formatLabels({}), '<none>');
  t.equal(formatLabels(undefined), '<none>');

  const selector = {
    matchLabels: { tier: 'front', app: 'web' },
    matchExpressions: [
      { key: 'env', operator: 'In', values: ['prod', 'dev'] },
      { key: 'zone', operator: 'NotIn', values: ['b'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'gpu', operator: 'Exists' },
    ],
  };
  t.equal(labelSelectorString(selector), 'app=web,!canary,env in (dev,prod),gpu,tier=front,zone notin (b)');
  t.equal(labelSelectorString(undefined), '');
  t.equal(labelSelectorString({}), '');
  t.equal(formatLabelSelector({}), '<none>');
  t.equal(formatLabelSelector({ matchLabels: { app: 'web' } }), 'app=web');
  t.equal(labelSelectorString({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), null, 'In needs values');
  t.equal(labelSelectorString({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }), null, 'Exists takes no values');
  t.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Near' }] }), '<error>');
});

t.test('lists and access modes', async (t) => {
  t.equal(listWithMore([]), '<unset>');
  t.equal(listWithMore(['a', 'b', 'c']), 'a,b,c');
  t.equal(listWithMore(['a', 'b', 'c', 'd', 'e']), 'a,b,c + 2 more...');
  t.equal(accessModes(['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce', 'ReadWriteOncePod', 'ReadOnlyMany']), 'RWO,ROX,RWX,RWOP');
  t.equal(accessModes(undefined), '');
});
