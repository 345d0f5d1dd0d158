// Shapes of the meta.k8s.io Table that `kubectl get` asks for, and of one resource's printer.
import type { KubeObject, ObjectMeta } from '../../objects/types.js';

export interface TableColumnDefinition {
  name: string;
  /** OpenAPI type of the cells: string, integer, number, boolean, date. */
  type: string;
  /** `name` for the object-name column, otherwise empty. */
  format: string;
  description: string;
  /** 0 = always shown; 1 = shown by kubectl only with `-o wide`. */
  priority: number;
}

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export type TableCell = string | number | boolean;

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: string;
  metadata: ObjectMeta;
}

export interface TableRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
  object?: KubeObject | PartialObjectMetadata;
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/**
 * Prints one resource type. The server always fills every column (also the priority-1 "wide"
 * ones), as kube-apiserver does; kubectl drops the wide columns itself unless `-o wide`.
 */
export interface Printer {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: Date): TableCell[];
  conditions?(obj: KubeObject): TableRowCondition[] | undefined;
}

/** Column helper: `col('Age')`, `col('Ready', 'string', 1)`. */
export function col(name: string, type = 'string', priority = 0, description = ''): TableColumnDefinition {
  return { name, type, format: '', description, priority };
}

/** The object-name column (format `name`, which kubectl uses for `-o name`-like handling). */
export function nameColumn(): TableColumnDefinition {
  return { name: 'Name', type: 'string', format: 'name', description: 'Name of the object, unique within its namespace.', priority: 0 };
}

export function ageColumn(): TableColumnDefinition {
  return col('Age', 'string', 0, 'Time since the object was created.');
}
