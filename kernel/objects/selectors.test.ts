import t from 'tap';
import {
  compileLabelSelector,
  fieldRequirementsMatch,
  labelSelectorString,
  parseFieldSelector,
  parseLabelSelector,
  SelectorParseError,
} from './selectors.js';

const labels = { app: 'web', tier: 'front', version: '3', empty: '' };

t.test('label selector strings match like upstream', async (t) => {
  const cases: [selector: string, matches: boolean, canonical: string][] = [
    ['', true, ''],
    ['app=web', true, 'app=web'],
    ['app==web', true, 'app==web'],
    ['app = web', true, 'app=web'],
    ['app=db', false, 'app=db'],
    ['app!=db', true, 'app!=db'],
    ['missing!=x', true, 'missing!=x'],
    ['app!=web', false, 'app!=web'],
    ['app', true, 'app'],
    ['missing', false, 'missing'],
    ['!missing', true, '!missing'],
    ['!app', false, '!app'],
    ['tier in (front,back)', true, 'tier in (back,front)'],
    ['tier in (back)', false, 'tier in (back)'],
    ['tier notin (back)', true, 'tier notin (back)'],
    ['tier notin (front, back)', false, 'tier notin (back,front)'],
    ['missing notin (a)', true, 'missing notin (a)'],
    ['missing in (a)', false, 'missing in (a)'],
    ['app=web,tier=front', true, 'app=web,tier=front'],
    ['tier=front,app=db', false, 'app=db,tier=front'],
    ['version>2', true, 'version>2'],
    ['version<2', false, 'version<2'],
    ['app>2', false, 'app>2'],
    ['empty=', true, 'empty='],
    ['empty in ()', true, 'empty in ()'],
    ['empty in (,x)', true, 'empty in (,x)'],
    ['app in (in,notin,web)', true, 'app in (in,notin,web)'],
    ['example.com/role', false, 'example.com/role'],
  ];
  for (const [selector, matches, canonical] of cases) {
    const sel = parseLabelSelector(selector);
    t.equal(sel.matches(labels), matches, `${JSON.stringify(selector)} matches=${matches}`);
    t.equal(sel.toString(), canonical, `${JSON.stringify(selector)} prints as ${canonical}`);
  }
});

t.test('label selector strings reject bad input with upstream messages', async (t) => {
  const nameRegex = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  const cases: [selector: string, message: string][] = [
    ['app:monolith', `unable to parse requirement: <nil>: Invalid value: "app:monolith": ${nameRegex}`],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['app=web,', "found '', expected: identifier after ','"],
    [',app', "found ',', expected: !, identifier, or 'end of string'"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['a (b)', "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    ['a>b', `unable to parse requirement: values[0]: Invalid value: "b": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a=-x', 'unable to parse requirement: values[0][a]: Invalid value: "-x": a valid label must be an empty string or consist of alphanumeric characters'],
    ['a/b/c=d', 'unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name must consist of'],
    ['Bad_Prefix/x', 'unable to parse requirement: <nil>: Invalid value: "Bad_Prefix/x": prefix part a lowercase RFC 1123 subdomain'],
  ];
  for (const [selector, message] of cases) {
    t.throws(() => parseLabelSelector(selector), SelectorParseError, selector);
    try {
      parseLabelSelector(selector);
    } catch (err) {
      t.ok((err as Error).message.startsWith(message), `${selector}: ${(err as Error).message}`);
    }
  }
});

t.test('LabelSelector objects compile to predicates and strings', async (t) => {
  const cases: [name: string, sel: Parameters<typeof compileLabelSelector>[0], matches: boolean, text: string][] = [
    ['nil matches nothing', undefined, false, ''],
    ['empty matches everything', {}, true, ''],
    ['matchLabels', { matchLabels: { tier: 'front', app: 'web' } }, true, 'app=web,tier=front'],
    ['matchLabels miss', { matchLabels: { app: 'db' } }, false, 'app=db'],
    ['In', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, true, 'tier in (back,front)'],
    ['NotIn', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, false, 'tier notin (front)'],
    ['Exists', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true, 'app'],
    ['DoesNotExist', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false, '!app'],
    [
      'mixed',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] },
      true,
      'app=web,!canary',
    ],
  ];
  for (const [name, sel, matches, text] of cases) {
    t.equal(compileLabelSelector(sel)(labels), matches, `${name}: matches=${matches}`);
    t.equal(labelSelectorString(sel), text, `${name}: prints ${text}`);
  }
  t.throws(() => compileLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }), /"Gt" is not a valid label selector operator/);
  t.throws(() => compileLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), /values set can't be empty/);
  t.throws(() => compileLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }), /values set must be empty/);
});

t.test('field selectors', async (t) => {
  const fields: Record<string, string> = { 'metadata.name': 'a,b', 'status.phase': 'Running', 'spec.nodeName': '' };
  const value = (f: string) => fields[f] ?? '';
  const cases: [selector: string, matches: boolean][] = [
    ['', true],
    ['status.phase=Running', true],
    ['status.phase==Running', true],
    ['status.phase!=Running', false],
    ['status.phase!=Pending,spec.nodeName=', true],
    ['spec.nodeName!=', false],
    ['metadata.name=a\\,b', true],
    ['metadata.name=a', false],
  ];
  for (const [selector, matches] of cases) t.equal(fieldRequirementsMatch(parseFieldSelector(selector), value), matches, selector);
  t.same(parseFieldSelector('b=2,a==1'), [
    { field: 'a', operator: '==', value: '1' },
    { field: 'b', operator: '=', value: '2' },
  ]);
  t.throws(() => parseFieldSelector('nonsense'), /invalid selector: 'nonsense'; can't understand 'nonsense'/);
  t.throws(() => parseFieldSelector('a=b\\x'), /invalid escape sequence/);
  t.throws(() => parseFieldSelector('a=b=c'), /unescaped character: =/);
});
