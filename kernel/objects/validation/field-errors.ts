// Field errors worded as upstream's field.Error prints them (`spec.containers: Required value`),
// collected as Status causes.
import type { StatusCause } from '../status.js';

export type CauseType =
  | 'FieldValueInvalid'
  | 'FieldValueRequired'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueDuplicate'
  | 'FieldValueNotFound'
  | 'FieldValueTooLong';

/** A value printed the way Go's field errors print it: strings quoted, maps as `map[string]string{...}`. */
export function goValue(value: unknown): string {
  if (value instanceof GoLiteral) return value.text;
  if (value === null || value === undefined) return '"null"';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const allStrings = value.every((v) => typeof v === 'string');
    return `[]${allStrings ? 'string' : 'interface {}'}{${value.map(goValue).join(', ')}}`;
  }
  if (typeof value === 'object') return goStringMap(value as Record<string, unknown>);
  return String(value);
}

/** A value already rendered in Go syntax, printed as is. */
export class GoLiteral {
  constructor(readonly text: string) {}
}

/** Go's %#v of a map[string]string: keys sorted, `{"a":"b", "c":"d"}`. */
export function goStringMap(map: Record<string, unknown> | undefined): string {
  if (!map) return 'map[string]string(nil)';
  const entries = Object.keys(map)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(String(map[k]))}`);
  return `map[string]string{${entries.join(', ')}}`;
}

export class FieldErrors {
  readonly causes: StatusCause[] = [];

  get empty(): boolean {
    return this.causes.length === 0;
  }

  private add(type: CauseType, field: string, message: string): void {
    this.causes.push({ reason: type, message, field });
  }

  required(field: string, detail = ''): void {
    this.add('FieldValueRequired', field, detail ? `Required value: ${detail}` : 'Required value');
  }

  invalid(field: string, value: unknown, detail: string): void {
    this.add('FieldValueInvalid', field, `Invalid value: ${goValue(value)}${detail ? `: ${detail}` : ''}`);
  }

  /** One Invalid cause per message (name checks return several). */
  invalidEach(field: string, value: unknown, messages: string[]): void {
    for (const m of messages) this.invalid(field, value, m);
  }

  notSupported(field: string, value: unknown, supported: readonly string[]): void {
    const list = supported.map((s) => JSON.stringify(s)).join(', ');
    this.add('FieldValueNotSupported', field, `Unsupported value: ${goValue(value)}${list ? `: supported values: ${list}` : ''}`);
  }

  forbidden(field: string, detail: string): void {
    this.add('FieldValueForbidden', field, `Forbidden: ${detail}`);
  }

  duplicate(field: string, value: unknown): void {
    this.add('FieldValueDuplicate', field, `Duplicate value: ${goValue(value)}`);
  }

  notFound(field: string, value: unknown): void {
    this.add('FieldValueNotFound', field, `Not found: ${goValue(value)}`);
  }

  tooLong(field: string, maxBytes: number): void {
    this.add('FieldValueTooLong', field, `Too long: must have at most ${maxBytes} bytes`);
  }
}

/** Loosely typed object access for validation code, which must cope with any JSON shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

export function isObject(v: unknown): v is Record<string, Loose> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}
