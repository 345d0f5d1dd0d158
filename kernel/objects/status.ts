// Kubernetes `Status` errors. Every layer throws StatusError so the API server can answer with
// the exact shape kubectl prints (`Error from server (NotFound): pods "x" not found`).

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'ServerTimeout'
  | 'Timeout'
  | 'TooManyRequests'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'InternalError'
  | 'ServiceUnavailable';

export interface StatusCause {
  /** The cause's type (FieldValueInvalid, DisruptionBudget, …) under its wire name: metav1.StatusCause.Type is `json:"reason"`. */
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never> | { resourceVersion?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    if (this.details) s.details = this.details;
    return s;
  }
}

export function isStatusError(e: unknown, reason?: StatusReason): e is StatusError {
  return e instanceof StatusError && (reason === undefined || e.reason === reason);
}

/** `qualified` is the resource as kubectl names it in messages: `pods`, `deployments.apps`. */
export const errors = {
  notFound: (qualified: string, name: string) =>
    new StatusError(404, 'NotFound', `${qualified} "${name}" not found`, { name, ...groupKind(qualified) }),
  alreadyExists: (qualified: string, name: string) =>
    new StatusError(409, 'AlreadyExists', `${qualified} "${name}" already exists`, { name, ...groupKind(qualified) }),
  conflict: (qualified: string, name: string, why: string) =>
    new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified} "${name}": ${why}`, { name, ...groupKind(qualified) }),
  gone: (message: string) => new StatusError(410, 'Expired', message),
  badRequest: (message: string) => new StatusError(400, 'BadRequest', message),
  /** kind is the Kind (`Pod`), causes name the fields. */
  invalid: (kind: string, name: string, causes: StatusCause[], group = '') => {
    // As upstream: the kind is group-qualified (`Deployment.apps`), several causes are bracketed.
    const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const what = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
    return new StatusError(422, 'Invalid', `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${what}`, { name, group: group || undefined, kind, causes });
  },
  internal: (message: string) => new StatusError(500, 'InternalError', `Internal error occurred: ${message}`),
  timeout: (message: string) => new StatusError(504, 'Timeout', message),
  unavailable: (message: string) => new StatusError(503, 'ServiceUnavailable', message),
};

function groupKind(qualified: string): { kind: string; group?: string } {
  const dot = qualified.indexOf('.');
  return dot < 0 ? { kind: qualified } : { kind: qualified.slice(0, dot), group: qualified.slice(dot + 1) };
}
