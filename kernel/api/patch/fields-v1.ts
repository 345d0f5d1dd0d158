// Sets of field paths as server-side apply tracks them, and their FieldsV1 wire form. A set is a
// trie keyed by path elements: `f:<field>`, `k:{"name":"c"}` (keyed list item), `v:<json>` (set
// item), `i:<n>` (list index). In FieldsV1 a node's children are its keys, `.` marks the node
// itself as a member, and a leaf `{}` is a member without children.
import { isObject, type JsonObject } from './values.js';

export type PathElement = string;
export type FieldPath = PathElement[];

export class FieldSet {
  self = false;
  readonly children = new Map<PathElement, FieldSet>();

  child(pe: PathElement): FieldSet {
    let c = this.children.get(pe);
    if (!c) this.children.set(pe, (c = new FieldSet()));
    return c;
  }

  insert(path: FieldPath): void {
    let node: FieldSet = this;
    for (const pe of path) node = node.child(pe);
    node.self = true;
  }

  has(path: FieldPath): boolean {
    let node: FieldSet | undefined = this;
    for (const pe of path) node = node?.children.get(pe);
    return node?.self ?? false;
  }

  /** True when the set holds no path at all. */
  isEmpty(): boolean {
    return !this.self && [...this.children.values()].every((c) => c.isEmpty());
  }

  /** True when this node or anything below it is a member. */
  hasAny(): boolean {
    return !this.isEmpty();
  }

  union(other: FieldSet): FieldSet {
    return combine(this, other, (a, b) => a || b);
  }

  intersection(other: FieldSet): FieldSet {
    return combine(this, other, (a, b) => a && b);
  }

  difference(other: FieldSet): FieldSet {
    return combine(this, other, (a, b) => a && !b);
  }

  equals(other: FieldSet): boolean {
    return this.difference(other).isEmpty() && other.difference(this).isEmpty();
  }

  /** Every member path, in FieldsV1 order. */
  paths(prefix: FieldPath = []): FieldPath[] {
    const out: FieldPath[] = this.self ? [prefix] : [];
    for (const pe of sortedElements(this.children.keys())) out.push(...this.children.get(pe)!.paths([...prefix, pe]));
    return out;
  }

  toFieldsV1(): JsonObject {
    const out: JsonObject = {};
    const kids = sortedElements(this.children.keys()).filter((pe) => this.children.get(pe)!.hasAny());
    if (this.self && kids.length > 0) out['.'] = {};
    for (const pe of kids) out[pe] = this.children.get(pe)!.toFieldsV1();
    return out;
  }

  static fromFieldsV1(v: unknown): FieldSet {
    const set = new FieldSet();
    const fill = (node: FieldSet, obj: unknown) => {
      if (!isObject(obj)) return;
      const keys = Object.keys(obj);
      if (keys.length === 0) node.self = true;
      for (const k of keys) {
        if (k === '.') node.self = true;
        else fill(node.child(k), obj[k]);
      }
    };
    if (isObject(v)) for (const k of Object.keys(v)) fill(set.child(k), v[k]);
    return set;
  }
}

function combine(a: FieldSet | undefined, b: FieldSet | undefined, op: (x: boolean, y: boolean) => boolean): FieldSet {
  const out = new FieldSet();
  out.self = op(a?.self ?? false, b?.self ?? false);
  const keys = new Set([...(a?.children.keys() ?? []), ...(b?.children.keys() ?? [])]);
  for (const k of keys) {
    const c = combine(a?.children.get(k), b?.children.get(k), op);
    if (!c.isEmpty()) out.children.set(k, c);
  }
  return out;
}

const KIND_ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

function sortedElements(pes: Iterable<PathElement>): PathElement[] {
  return [...pes].sort((a, b) => (KIND_ORDER[a[0]] ?? 9) - (KIND_ORDER[b[0]] ?? 9) || (a < b ? -1 : a > b ? 1 : 0));
}

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const valueElement = (v: unknown): PathElement => `v:${JSON.stringify(v)}`;

/** `k:` element of a keyed list item; key fields are written in sorted order. */
export function keyElement(keyFields: Record<string, unknown>): PathElement {
  const sorted: JsonObject = {};
  for (const k of Object.keys(keyFields).sort()) sorted[k] = keyFields[k];
  return `k:${JSON.stringify(sorted)}`;
}

/** Upstream's printed form of a path: `.spec.containers[name="nginx"].image`. */
export function pathString(path: FieldPath): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${body}`;
        case 'k': {
          const keys = JSON.parse(body) as JsonObject;
          return `[${Object.entries(keys)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(',')}]`;
        }
        case 'v':
          return `[=${body}]`;
        case 'i':
          return `[${body}]`;
        default:
          return pe;
      }
    })
    .join('');
}
