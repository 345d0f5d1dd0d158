// Label and field selectors with Kubernetes semantics: the string grammar kubectl sends
// (`app=web,tier in (a,b),!canary`), `metav1.LabelSelector` objects (matchLabels +
// matchExpressions) as controllers use them, and the canonical string form of both.
// Parse errors use upstream's wording, because kubectl shows them verbatim.

export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** A parsed selector: matches when every requirement matches. No requirements matches everything. */
export interface LabelSelectorRequirements {
  requirements: LabelRequirement[];
  matches(labels: Record<string, string> | undefined): boolean;
  /** Canonical string form, requirements sorted by key. */
  toString(): string;
}

/** The `metav1.LabelSelector` object shape. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export class SelectorParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorParseError';
  }
}

// ---------------------------------------------------------------------------------------------
// Validation of keys and values (k8s.io/apimachinery/pkg/util/validation messages).

const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const QUALIFIED_NAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

/** Problems with a label key (`prefix/name`); empty when valid. */
export function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  if (parts.length > 2) {
    return [`a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const name = parts.length === 2 ? parts[1] : parts[0];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else {
      if (prefix.length > 253) errs.push('prefix part must be no more than 253 characters');
      if (!DNS1123_SUBDOMAIN_RE.test(prefix)) errs.push(`prefix part ${regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com')}`);
    }
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (!QUALIFIED_NAME_RE.test(name)) errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/** Problems with a label value; empty when valid. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_VALUE_RE.test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

/** Go's %#v of a []string, as upstream prints invalid value lists. */
function goStringSlice(values: string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

function invalid(path: string, shown: string, detail: string): string {
  return `${path}: Invalid value: ${shown}: ${detail}`;
}

/** Builds a requirement, or throws with upstream's validation messages. */
export function newRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = qualifiedNameErrors(key);
  if (keyErrs.length) errs.push(invalid('key', JSON.stringify(key), keyErrs.join('; ')));
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(invalid('values', goStringSlice(values), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(invalid('values', goStringSlice(values), 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(invalid('values', goStringSlice(values), 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(invalid('values', goStringSlice(values), "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (!/^[+-]?\d+$/.test(v)) errs.push(invalid(`values[${i}]`, JSON.stringify(v), "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    const valueErrs = labelValueErrors(v);
    if (valueErrs.length) errs.push(invalid(`values[${i}][${key}]`, JSON.stringify(v), valueErrs.join('; ')));
  });
  if (errs.length === 1) throw new SelectorParseError(errs[0]);
  if (errs.length > 1) throw new SelectorParseError(`[${errs.join(', ')}]`);
  return { key, operator, values };
}

// ---------------------------------------------------------------------------------------------
// Matching and printing.

export function requirementMatches(r: LabelRequirement, labels: Record<string, string> | undefined): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value as string);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^[+-]?\d+$/.test(value as string)) return false;
      const actual = Number(value);
      const limit = Number(r.values[0]);
      return r.operator === 'gt' ? actual > limit : actual < limit;
    }
  }
}

export function requirementString(r: LabelRequirement): string {
  const sorted = [...r.values].sort();
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${sorted.join(',')})`;
    case 'gt':
      return `${r.key}>${sorted[0]}`;
    case 'lt':
      return `${r.key}<${sorted[0]}`;
    default:
      return `${r.key}${r.operator}${sorted[0] ?? ''}`;
  }
}

function selectorOf(requirements: LabelRequirement[]): LabelSelectorRequirements {
  const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    requirements: sorted,
    matches: (labels) => sorted.every((r) => requirementMatches(r, labels)),
    toString: () => sorted.map(requirementString).join(','),
  };
}

/** Matches every object. */
export const everything: LabelSelectorRequirements = selectorOf([]);

// ---------------------------------------------------------------------------------------------
// The label selector string grammar.

type TokenKind = 'ident' | 'in' | 'notin' | '!' | '!=' | '(' | ')' | ',' | '=' | '==' | '>' | '<' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
}

const SYMBOLS = ['!=', '==', '!', '(', ')', ',', '=', '>', '<'];
const SPECIAL = new Set(['!', '(', ')', ',', '=', '>', '<']);

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (SPECIAL.has(ch)) {
      const symbol = SYMBOLS.find((s) => input.startsWith(s, i)) as string;
      tokens.push({ kind: symbol as TokenKind, text: symbol });
      i += symbol.length;
    } else {
      let j = i;
      while (j < input.length && !SPECIAL.has(input[j]) && !/\s/.test(input[j])) j++;
      const word = input.slice(i, j);
      tokens.push({ kind: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'ident', text: word });
      i = j;
    }
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

/** Recursive-descent parser over the token list; in value positions `in`/`notin` are plain words. */
class LabelParser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(asValue: boolean): Token {
    return this.normalize(this.tokens[this.pos], asValue);
  }

  private next(asValue: boolean): Token {
    const tok = this.tokens[this.pos];
    if (tok.kind !== 'end') this.pos++;
    return this.normalize(tok, asValue);
  }

  private normalize(tok: Token, asValue: boolean): Token {
    return asValue && (tok.kind === 'in' || tok.kind === 'notin') ? { kind: 'ident', text: tok.text } : tok;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const tok = this.peek(true);
      if (tok.kind === 'end') return requirements;
      if (tok.kind !== 'ident' && tok.kind !== '!') throw new SelectorParseError(`found '${tok.text}', expected: !, identifier, or 'end of string'`);
      try {
        requirements.push(this.requirement());
      } catch (err) {
        throw new SelectorParseError(`unable to parse requirement: ${(err as Error).message}`);
      }
      const sep = this.next(true);
      if (sep.kind === 'end') return requirements;
      if (sep.kind !== ',') throw new SelectorParseError(`found '${sep.text}', expected: ',' or 'end of string'`);
      const after = this.peek(true);
      if (after.kind !== 'ident' && after.kind !== '!') throw new SelectorParseError(`found '${after.text}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let tok = this.next(true);
    let notExists = false;
    if (tok.kind === '!') {
      notExists = true;
      tok = this.next(true);
    }
    if (tok.kind !== 'ident') throw new Error(`found '${tok.text}', expected: identifier`);
    const key = tok.text;
    const keyErrs = qualifiedNameErrors(key);
    if (keyErrs.length) throw new Error(invalid('<nil>', JSON.stringify(key), keyErrs.join('; ')));
    if (notExists) return newRequirement(key, '!', []);
    const ahead = this.peek(true).kind;
    if (ahead === 'end' || ahead === ',') return newRequirement(key, 'exists', []);
    const op = this.operator();
    const values = op === 'in' || op === 'notin' ? this.valueSet() : this.exactValue();
    return newRequirement(key, op, values);
  }

  private operator(): LabelOperator {
    const tok = this.next(false);
    switch (tok.kind) {
      case 'in':
      case 'notin':
      case '=':
      case '==':
      case '!=':
        return tok.kind;
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new Error(`found '${tok.text}', expected: ${BINARY_OPERATORS}`);
    }
  }

  private exactValue(): string[] {
    const ahead = this.peek(true);
    if (ahead.kind === 'end' || ahead.kind === ',') return [''];
    const tok = this.next(true);
    if (tok.kind === 'ident') return [tok.text];
    throw new Error(`found '${tok.text}', expected: identifier`);
  }

  private valueSet(): string[] {
    const open = this.next(true);
    if (open.kind !== '(') throw new Error(`found '${open.text}' expected: '('`);
    const ahead = this.peek(true);
    if (ahead.kind === ')') {
      this.next(true);
      return [''];
    }
    if (ahead.kind !== 'ident' && ahead.kind !== ',') throw new Error(`found '${ahead.text}', expected: ',', ')' or identifier`);
    // Empty entries (`(,a)`, `(a,)`, `(a,,b)`) stand for the empty value, as upstream reads them.
    const values = new Set<string>();
    for (;;) {
      const tok = this.next(true);
      if (tok.kind === 'ident') {
        values.add(tok.text);
        const after = this.peek(true);
        if (after.kind === ',') continue;
        if (after.kind === ')') break;
        throw new Error(`found '${after.text}', expected: ',' or ')'`);
      } else if (tok.kind === ',') {
        if (values.size === 0) values.add('');
        const after = this.peek(true);
        if (after.kind === ')') {
          values.add('');
          break;
        }
        if (after.kind === ',') {
          this.next(true);
          values.add('');
        }
      } else {
        throw new Error(`found '${tok.text}', expected: ',', or identifier`);
      }
    }
    const close = this.next(true);
    if (close.kind !== ')') throw new Error(`found '${close.text}', expected: ')'`);
    return [...values].sort();
  }
}

/** Parses a label selector string (`labelSelector=` query parameter); throws SelectorParseError. */
export function parseLabelSelector(input: string): LabelSelectorRequirements {
  return selectorOf(new LabelParser(lex(input)).parse());
}

// ---------------------------------------------------------------------------------------------
// metav1.LabelSelector objects.

const EXPRESSION_OPERATORS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * Converts a LabelSelector object. `undefined`/null matches nothing (as upstream's nil selector);
 * an empty object matches everything. Throws SelectorParseError on invalid expressions.
 */
export function labelSelectorRequirements(sel: LabelSelector | undefined | null): LabelSelectorRequirements {
  // Upstream's nil selector is labels.Nothing(): it prints as the empty string.
  if (sel === undefined || sel === null) return { requirements: [], matches: () => false, toString: () => '' };
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(key, '=', [value]));
  for (const expr of sel.matchExpressions ?? []) {
    const op = EXPRESSION_OPERATORS[expr.operator];
    if (!op) throw new SelectorParseError(`"${expr.operator}" is not a valid label selector operator`);
    reqs.push(newRequirement(expr.key, op, [...(expr.values ?? [])]));
  }
  return selectorOf(reqs);
}

/** A predicate over label maps for a LabelSelector object. */
export function compileLabelSelector(sel: LabelSelector | undefined | null): (labels: Record<string, string> | undefined) => boolean {
  return labelSelectorRequirements(sel).matches;
}

/** String form of a LabelSelector object, e.g. for Scale.status.selector: `app=web,tier in (a,b)`. */
export function labelSelectorString(sel: LabelSelector | undefined | null): string {
  return labelSelectorRequirements(sel).toString();
}

// ---------------------------------------------------------------------------------------------
// Field selectors: `a=b,c!=d` with `\`-escapes for `,`, `=` and `\` in values.

export interface FieldRequirement {
  field: string;
  operator: '=' | '==' | '!=';
  value: string;
}

function splitUnescaped(input: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch === '\\' && i + 1 < input.length) {
      current += ch + input[i + 1];
      i++;
    } else if (ch === sep) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function unescapeFieldValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\') {
      const next = value[i + 1];
      if (next !== '\\' && next !== ',' && next !== '=') throw new SelectorParseError(`invalid field selector: invalid escape sequence: ${value.slice(i, i + 2)}`);
      out += next;
      i++;
    } else if (ch === ',' || ch === '=') {
      throw new SelectorParseError(`invalid field selector: unescaped character: ${ch}`);
    } else out += ch;
  }
  return out;
}

/** Parses a field selector string; throws SelectorParseError. */
export function parseFieldSelector(input: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  for (const term of splitUnescaped(input, ',').sort()) {
    if (term === '') continue;
    const match = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (!match) throw new SelectorParseError(`invalid selector: '${input}'; can't understand '${term}'`);
    out.push({ field: match[1], operator: match[2] as FieldRequirement['operator'], value: unescapeFieldValue(match[3]) });
  }
  return out;
}

/** True when every requirement holds for the given field values (missing fields read as ''). */
export function fieldRequirementsMatch(reqs: FieldRequirement[], fieldValue: (field: string) => string): boolean {
  return reqs.every((r) => (r.operator === '!=' ? fieldValue(r.field) !== r.value : fieldValue(r.field) === r.value));
}
