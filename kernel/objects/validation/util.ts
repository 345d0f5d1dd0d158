// Small helpers for working on plain JSON objects.
import { cloneJson } from '../clone.js';
import { isObject, type Loose } from './field-errors.js';

/** Structural equality of JSON values; key order does not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

export function clone<T>(value: T): T {
  return cloneJson(value);
}

/** The object at `obj[key]`, created as {} when absent (for defaulting nested structs). */
export function child(obj: Loose, key: string): Loose {
  if (!isObject(obj[key])) obj[key] = {};
  return obj[key];
}

export function asArray(value: unknown): Loose[] {
  return Array.isArray(value) ? value : [];
}

/** A non-negative integer field check shared by several types. */
export const NON_NEGATIVE = 'must be greater than or equal to 0';
