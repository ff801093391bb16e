import { DENY_EXECUTION, FAILED_POLICIES, VULNERABILITY } from '../../src/enforce/annotations';
import type { EnforcementSubject } from '../../src/enforce/enforcer';
import { OpenShiftEnforcer } from '../../src/enforce/openshift-enforcer';
import type { FailedPolicy, VerdictState } from '../../src/policy/verdict';
import { openDatabase, type Db } from '../../src/store/database';
import { EnforcementStore } from '../../src/store/enforcement';
import type { StoredVerdict } from '../../src/store/verdicts';
import { startOpenShiftServer, type OpenShiftServer } from '../support/openshift-server';

const RUBY = 'sha256:47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d';
const OTHER = `sha256:${'b'.repeat(64)}`;
const THIRD = `sha256:${'c'.repeat(64)}`;
const IMAGE_PATH = (name: string) => `/apis/image.openshift.io/v1/images/${name}`;

const policy = (name: string, enforcement: 'enforce' | 'inform'): FailedPolicy => ({
  name,
  rule: 'vulnerabilities',
  severity: 'High',
  enforcement,
  description: '',
  rationale: '',
  remediation: '',
  violations: ['CVE-2023-0001 (High) in openssl 1.1.1k-1, fixed in 1.1.1k-2'],
});

function verdict(digest: string, state: VerdictState, failed: FailedPolicy[] = [], reason?: string): StoredVerdict {
  return {
    digest,
    state,
    failedPolicies: failed,
    summary: state === 'unknown' ? null : { Critical: 1, High: 2, Medium: 3, Low: 4, Unknown: 5, fixable: 3 },
    ...(reason !== undefined && { reason }),
    inputs: { policies: 'p', findings: null, expiredIgnores: [] },
    evaluatedAt: '2026-01-01T00:00:00.000Z',
    changedAt: '2026-01-01T00:00:00.000Z',
  };
}

const nonCompliant = (digest: string) => verdict(digest, 'non-compliant', [policy('Fixable Critical and High vulnerabilities', 'enforce'), policy('Latest tag', 'inform'), policy('Root user', 'enforce')]);

const subject = (v: StoredVerdict, reference = `image-registry.openshift-image-registry.svc:5000/test/app@${v.digest}`): EnforcementSubject => ({
  source: 'prod',
  imageName: v.digest,
  reference,
  verdict: v,
});

describe('OpenShiftEnforcer', () => {
  let server: OpenShiftServer;
  let db: Db;
  let lines: string[];
  let clock: number;
  const enforcer = (overrides: { dryRun?: boolean; enforceUnknown?: boolean } = {}) =>
    new OpenShiftEnforcer({
      source: 'prod',
      kubeconfig: server.kubeconfigPath,
      dryRun: overrides.dryRun ?? false,
      enforceUnknown: overrides.enforceUnknown ?? false,
      db,
      log: (line) => lines.push(line),
      scannerVersion: '0.1.0',
      now: () => new Date(Date.UTC(2026, 0, 10, 7, 0, clock++)),
    });
  const annotationsOf = (name: string) => server.images.get(name)?.metadata.annotations;
  const audit = () => new EnforcementStore(db).auditSince('1970-01-01T00:00:00Z');
  const calls = () => server.requests.map((r) => `${r.method} ${r.status}`);

  beforeEach(async () => {
    server = await startOpenShiftServer();
    server.addImage({ metadata: { name: OTHER, annotations: { 'openshift.io/image.managed': 'true' } } });
    server.addImage({ metadata: { name: THIRD } });
    db = openDatabase(':memory:');
    lines = [];
    clock = 0;
  });
  afterEach(async () => {
    db.close();
    await server.stop();
  });

  it('gives a non-compliant image exactly the three annotations, with one merge patch', async () => {
    const summary = await enforcer().enforce([subject(nonCompliant(RUBY))], {});
    expect(summary).toEqual({ denied: 1, cleared: 0, updated: 0, unchanged: 0, failed: 0, dryRun: 0 });
    const annotations = annotationsOf(RUBY)!;
    expect(Object.keys(annotations).sort()).toEqual([DENY_EXECUTION, VULNERABILITY, FAILED_POLICIES].sort());
    expect(annotations[DENY_EXECUTION]).toBe('true');
    expect(annotations[FAILED_POLICIES]).toBe('Fixable Critical and High vulnerabilities,Root user');
    expect(JSON.parse(annotations[VULNERABILITY])).toEqual({
      name: 'imagewarden',
      timestamp: '2026-01-10T07:00:00.000Z',
      description: 'non-compliant: Fixable Critical and High vulnerabilities, Root user',
      reference: `image-registry.openshift-image-registry.svc:5000/test/app@${RUBY}`,
      scannerVersion: '0.1.0',
      compliant: false,
      summary: [
        { label: 'critical', severityIndex: 3, data: 1 },
        { label: 'high', severityIndex: 2, data: 2 },
        { label: 'medium', severityIndex: 1, data: 3 },
        { label: 'low', severityIndex: 0, data: 4 },
      ],
    });
    const [get, patch] = server.requests;
    expect([get.method, patch.method]).toEqual(['GET', 'PATCH']);
    expect(patch.path).toBe(IMAGE_PATH(RUBY));
    expect(patch.contentType).toBe('application/merge-patch+json');
    expect(patch.body).toEqual({ metadata: { resourceVersion: expect.any(String), annotations: annotations } });
    expect(audit()).toEqual([{ at: expect.any(String), source: 'prod', imageName: RUBY, action: 'deny', dryRun: false, patch: patch.body, outcome: 'applied' }]);
    expect(new EnforcementStore(db).lastApplied('prod', RUBY)).toMatchObject({ deny: true, annotations });
    // The Image's other fields are untouched by the patch.
    expect(server.images.get(RUBY)?.dockerImageMetadata).toMatchObject({ Config: { User: '1001' } });
  });

  it('patches nothing when run again: only GETs, even though the timestamp would differ', async () => {
    await enforcer().enforce([subject(nonCompliant(RUBY)), subject(verdict(OTHER, 'compliant'))], {});
    server.requests.length = 0;
    const summary = await enforcer().enforce([subject(nonCompliant(RUBY)), subject(verdict(OTHER, 'compliant'))], {});
    expect(summary).toEqual({ denied: 0, cleared: 0, updated: 0, unchanged: 2, failed: 0, dryRun: 0 });
    // The compliant image imagewarden never marked is not even read.
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /apis/image.openshift.io/v1/images/${RUBY}`]);
    expect(audit()).toHaveLength(1);
  });

  it('removes the deny and failed-policies annotations when the verdict turns compliant', async () => {
    await enforcer().enforce([subject(nonCompliant(RUBY))], {});
    const summary = await enforcer().enforce([subject(verdict(RUBY, 'compliant', [policy('Latest tag', 'inform')]))], {});
    expect(summary.cleared).toBe(1);
    const annotations = annotationsOf(RUBY)!;
    expect(Object.keys(annotations)).toEqual([VULNERABILITY]);
    expect(JSON.parse(annotations[VULNERABILITY])).toMatchObject({ compliant: true, description: 'compliant (informational: Latest tag)' });
    const patch = server.requests.filter((r) => r.method === 'PATCH')[1];
    expect(patch.body).toMatchObject({ metadata: { annotations: { [DENY_EXECUTION]: null, [FAILED_POLICIES]: null } } });
    expect(audit().map((a) => a.action)).toEqual(['deny', 'allow']);
    expect(new EnforcementStore(db).lastApplied('prod', RUBY)?.deny).toBe(false);
  });

  it('leaves a compliant image that was never denied untouched, and keeps annotations other writers set', async () => {
    const before = annotationsOf(OTHER);
    const summary = await enforcer().enforce([subject(verdict(OTHER, 'compliant'))], {});
    expect(summary.unchanged).toBe(1);
    expect(server.requests).toEqual([]);
    expect(annotationsOf(OTHER)).toEqual(before);
    await enforcer().enforce([subject(nonCompliant(OTHER))], {});
    expect(Object.keys(annotationsOf(OTHER)!).sort()).toEqual([DENY_EXECUTION, FAILED_POLICIES, 'openshift.io/image.managed', VULNERABILITY].sort());
  });

  it('sends no PATCH on a dry run, logs the patch and audits it as dry-run', async () => {
    const summary = await enforcer({ dryRun: true }).enforce([subject(nonCompliant(RUBY)), subject(nonCompliant(OTHER))], {});
    expect(summary).toEqual({ denied: 0, cleared: 0, updated: 0, unchanged: 0, failed: 0, dryRun: 2 });
    expect(server.requests.map((r) => r.method)).toEqual(['GET', 'GET']);
    expect(annotationsOf(RUBY)).toBeUndefined();
    expect(audit().map((a) => [a.imageName, a.action, a.outcome, a.dryRun])).toEqual([
      [RUBY, 'deny', 'dry-run', true],
      [OTHER, 'deny', 'dry-run', true],
    ]);
    expect((audit()[0].patch as { metadata: { annotations: Record<string, string> } }).metadata.annotations[DENY_EXECUTION]).toBe('true');
    expect(lines.filter((l) => l.startsWith(`dry run: would deny Image ${RUBY}`) && l.includes('application/merge-patch+json'))).toHaveLength(1);
    expect(new EnforcementStore(db).lastApplied('prod', RUBY)).toBeUndefined();
  });

  it('re-reads and retries after a 409 Conflict, and succeeds', async () => {
    server.failNextPatches(2);
    const summary = await enforcer().enforce([subject(nonCompliant(RUBY))], {});
    expect(summary.denied).toBe(1);
    expect(calls()).toEqual(['GET 200', 'PATCH 409', 'GET 200', 'PATCH 409', 'GET 200', 'PATCH 200']);
    expect(annotationsOf(RUBY)?.[DENY_EXECUTION]).toBe('true');
    expect(lines.filter((l) => l.includes('409 Conflict'))).toHaveLength(2);
    expect(audit().map((a) => a.outcome)).toEqual(['applied']);
  });

  it('recomputes the patch from the fresh object when another writer changed it between GET and PATCH', async () => {
    server.beforeNext('PATCH', () => server.updateImage(RUBY, { metadata: { annotations: { [DENY_EXECUTION]: 'true' } } }));
    const summary = await enforcer().enforce([subject(nonCompliant(RUBY))], {});
    expect(summary.denied + summary.updated).toBe(1);
    expect(calls()).toEqual(['GET 200', 'PATCH 409', 'GET 200', 'PATCH 200']);
    const [stale, fresh] = server.requests.filter((r) => r.method === 'PATCH');
    expect(Object.keys((stale.body as any).metadata.annotations).sort()).toEqual([DENY_EXECUTION, FAILED_POLICIES, VULNERABILITY].sort());
    // The deny annotation is already there: the second patch leaves it out.
    expect(Object.keys((fresh.body as any).metadata.annotations).sort()).toEqual([FAILED_POLICIES, VULNERABILITY].sort());
    expect(Object.keys(annotationsOf(RUBY)!).sort()).toEqual([DENY_EXECUTION, FAILED_POLICIES, VULNERABILITY].sort());
  });

  it('gives up after 5 conflicts and records the failure', async () => {
    server.failNextPatches(5);
    const summary = await enforcer().enforce([subject(nonCompliant(RUBY)), subject(nonCompliant(OTHER))], {});
    expect(summary).toMatchObject({ failed: 1, denied: 1 });
    expect(server.requests.filter((r) => r.method === 'PATCH' && r.path === IMAGE_PATH(RUBY))).toHaveLength(5);
    expect(audit()[0]).toMatchObject({ imageName: RUBY, outcome: 'failed', message: expect.stringContaining('the object has been modified') });
  });

  it('names the missing RBAC permission on a 403, records it as failed, and patches the other images', async () => {
    server.setForbidden('patch', 'images', undefined, OTHER);
    const summary = await enforcer().enforce([subject(nonCompliant(RUBY)), subject(nonCompliant(OTHER)), subject(nonCompliant(THIRD))], {});
    expect(summary).toEqual({ denied: 2, cleared: 0, updated: 0, unchanged: 0, failed: 1, dryRun: 0 });
    expect(annotationsOf(RUBY)?.[DENY_EXECUTION]).toBe('true');
    expect(annotationsOf(THIRD)?.[DENY_EXECUTION]).toBe('true');
    expect(annotationsOf(OTHER)?.[DENY_EXECUTION]).toBeUndefined();
    const failure = audit().find((a) => a.outcome === 'failed')!;
    expect(failure).toMatchObject({ imageName: OTHER, action: 'deny', dryRun: false });
    expect(failure.message).toContain('missing RBAC permission: "patch" on images.image.openshift.io at the cluster scope');
    expect(failure.message).toContain('deploy/clusterrole.yaml');
    expect(failure.message).toContain(`cannot patch resource "images" in API group "image.openshift.io" at the cluster scope`);
    expect(lines.some((l) => l.startsWith(`failed to deny Image ${OTHER}`))).toBe(true);
    expect(new EnforcementStore(db).lastApplied('prod', OTHER)).toBeUndefined();
  });

  it('names the get permission when the Image cannot even be read', async () => {
    server.setForbidden('get', 'images');
    const summary = await enforcer().enforce([subject(nonCompliant(RUBY))], {});
    expect(summary.failed).toBe(1);
    expect(audit()[0].message).toContain('missing RBAC permission: "get" on images.image.openshift.io');
  });

  it('skips an Image that is gone with a log line, and goes on', async () => {
    const gone = `sha256:${'d'.repeat(64)}`;
    const summary = await enforcer().enforce([subject(nonCompliant(gone)), subject(nonCompliant(RUBY))], {});
    expect(summary).toMatchObject({ denied: 1, failed: 0 });
    expect(lines).toContain(`Image ${gone} (image-registry.openshift-image-registry.svc:5000/test/app@${gone}) no longer exists on the cluster; skipped`);
    expect(audit().map((a) => a.imageName)).toEqual([RUBY]);
  });

  it('restores an annotation removed on the cluster since imagewarden set it', async () => {
    await enforcer().enforce([subject(nonCompliant(RUBY))], {});
    server.updateImage(RUBY, { metadata: { annotations: { [DENY_EXECUTION]: null } } });
    const summary = await enforcer().enforce([subject(nonCompliant(RUBY))], {});
    expect(summary.denied).toBe(1);
    expect(annotationsOf(RUBY)?.[DENY_EXECUTION]).toBe('true');
    expect(lines.some((l) => l.includes('were changed on the cluster since imagewarden set them'))).toBe(true);
  });

  it('leaves the deny decision of an unknown image alone unless enforceUnknown is set', async () => {
    await enforcer().enforce([subject(nonCompliant(RUBY))], {});
    const unknown = verdict(RUBY, 'unknown', [], 'scan failed: registry unreachable');
    expect((await enforcer().enforce([subject(unknown)], {})).updated).toBe(1);
    expect(annotationsOf(RUBY)?.[DENY_EXECUTION]).toBe('true');
    expect(JSON.parse(annotationsOf(RUBY)![VULNERABILITY])).toMatchObject({ compliant: false, summary: [], description: 'not assessed: scan failed: registry unreachable' });

    const fresh = verdict(OTHER, 'unknown', [], 'no feed covers this OS');
    await enforcer().enforce([subject(fresh)], {});
    expect(annotationsOf(OTHER)?.[DENY_EXECUTION]).toBeUndefined();
    expect((await enforcer({ enforceUnknown: true }).enforce([subject(fresh)], {})).denied).toBe(1);
    expect(annotationsOf(OTHER)?.[DENY_EXECUTION]).toBe('true');
    expect(annotationsOf(OTHER)?.[FAILED_POLICIES]).toBeUndefined();
  });

  it('takes an Image that already carries the wanted annotations into its record without patching', async () => {
    await enforcer().enforce([subject(nonCompliant(RUBY))], {});
    db.prepare('DELETE FROM annotations').run();
    server.requests.length = 0;
    expect((await enforcer().enforce([subject(nonCompliant(RUBY))], {})).unchanged).toBe(1);
    expect(server.requests.map((r) => r.method)).toEqual(['GET']);
    expect(new EnforcementStore(db).lastApplied('prod', RUBY)?.deny).toBe(true);
  });

  it('stops between images when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const summary = await enforcer().enforce([subject(nonCompliant(RUBY))], { signal: controller.signal });
    expect(summary).toEqual({ denied: 0, cleared: 0, updated: 0, unchanged: 0, failed: 0, dryRun: 0 });
    expect(server.requests).toHaveLength(0);
    expect(lines[0]).toContain('1 of 1 images left as they are');
  });
});
