// Small fixed endpoints: /version, health checks, and the reviews of the requesting user (`kubectl auth`).
import type { ServerResponse } from 'node:http';
import { apiVersionOf, type ResourceType } from '../../objects/registry.js';
import { errors } from '../../objects/status.js';
import type { ApiUser } from '../types.js';
import { sendJson } from './respond.js';

export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-kite' };

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

export function versionInfo() {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-11-23T00:00:00Z',
    goVersion: `node${process.version}`,
    compiler: 'tsc',
    platform: `${process.platform}/${ARCH[process.arch] ?? process.arch}`,
  };
}

export const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);

export interface Readiness {
  ready: () => boolean;
  /** Why the server is not ready (shown by /readyz when ready() is false). */
  notReadyReason?: () => string;
}

/** `/healthz`, `/livez` always `ok` while the process serves; `/readyz` follows `ready()`. */
export function serveHealth(res: ServerResponse, pathname: string, readiness: Readiness): void {
  let code = 200;
  let body = 'ok';
  if (pathname === '/readyz' && !readiness.ready()) {
    code = 500;
    body = `[-]kite-ready failed: ${readiness.notReadyReason?.() ?? 'not ready'}\nreadyz check failed`;
  }
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

const SELF_REVIEWS = new Set([
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
  'authentication.k8s.io/selfsubjectreviews',
]);

/** Reviews about the requesting user, answered by the HTTP layer (it knows who is asking). */
export function isSelfReview(rt: Pick<ResourceType, 'group' | 'resource'>): boolean {
  return SELF_REVIEWS.has(`${rt.group}/${rt.resource}`);
}

function reviewSpec(body: Buffer, kind: string): unknown {
  try {
    return (body.length ? JSON.parse(body.toString('utf8')) : {}).spec ?? {};
  } catch (err) {
    throw errors.badRequest(`error decoding ${kind}: ${(err as Error).message}`);
  }
}

/**
 * Answers `kubectl auth can-i` (SelfSubjectAccessReview), `auth can-i --list`
 * (SelfSubjectRulesReview) and `auth whoami` (SelfSubjectReview) from a JSON body. There is no
 * RBAC yet: members of system:masters (the admin) may do everything, nobody else anything.
 */
export function serveSelfReview(rt: ResourceType, res: ServerResponse, body: Buffer, user: ApiUser): void {
  const admin = user.groups.includes('system:masters');
  const head = { kind: rt.kind, apiVersion: apiVersionOf(rt), metadata: { creationTimestamp: null } };
  let answer: Record<string, unknown>;
  if (rt.resource === 'selfsubjectreviews') {
    answer = { ...head, status: { userInfo: { username: user.name, groups: user.groups } } };
  } else if (rt.resource === 'selfsubjectrulesreviews') {
    const status = admin
      ? { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false }
      : { resourceRules: [], nonResourceRules: [], incomplete: false };
    answer = { ...head, spec: reviewSpec(body, rt.kind), status };
  } else {
    const status = admin ? { allowed: true, reason: 'user is a member of system:masters' } : { allowed: false, reason: 'no RBAC rule allows this request' };
    answer = { ...head, spec: reviewSpec(body, rt.kind), status };
  }
  sendJson(res, 201, answer);
}
