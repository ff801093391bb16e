import { annotationDiff, DENY_EXECUTION, FAILED_POLICIES, ownedAfter, VULNERABILITY, wantedAnnotations } from '../../src/enforce/annotations';
import type { StoredVerdict } from '../../src/store/verdicts';

const compliant: StoredVerdict = {
  digest: `sha256:${'a'.repeat(64)}`,
  state: 'compliant',
  failedPolicies: [],
  summary: { Critical: 0, High: 0, Medium: 2, Low: 1, Unknown: 7, fixable: 0 },
  inputs: { policies: 'p', findings: 'f', expiredIgnores: [] },
  evaluatedAt: '2026-01-01T00:00:00.000Z',
  changedAt: '2026-01-01T00:00:00.000Z',
};
const wanted = (now: Date) => wantedAnnotations({ reference: 'r', verdict: compliant, enforceUnknown: false, scannerVersion: '1', now });

describe('annotation diff', () => {
  it('ignores a vulnerability annotation that differs only by its timestamp', () => {
    const live = { [VULNERABILITY]: wanted(new Date('2026-01-01T00:00:00Z'))[VULNERABILITY]! };
    expect(annotationDiff(live, wanted(new Date('2026-02-01T00:00:00Z')))).toEqual({});
  });

  it('sees a changed summary, a malformed live value, and a missing one', () => {
    const next = wanted(new Date());
    const changed = JSON.stringify({ ...JSON.parse(next[VULNERABILITY]!), compliant: false });
    expect(Object.keys(annotationDiff({ [VULNERABILITY]: changed }, next))).toEqual([VULNERABILITY]);
    expect(Object.keys(annotationDiff({ [VULNERABILITY]: '{not json' }, next))).toEqual([VULNERABILITY]);
    expect(Object.keys(annotationDiff(undefined, next))).toEqual([VULNERABILITY]);
  });

  it('takes deny-execution "false" as already allowing, and removes any other value', () => {
    const next = wanted(new Date());
    const vuln = next[VULNERABILITY]!;
    expect(annotationDiff({ [VULNERABILITY]: vuln, [DENY_EXECUTION]: 'false' }, next)).toEqual({});
    expect(annotationDiff({ [VULNERABILITY]: vuln, [DENY_EXECUTION]: 'true', [FAILED_POLICIES]: 'x' }, next)).toEqual({ [DENY_EXECUTION]: null, [FAILED_POLICIES]: null });
  });

  it('summarizes by severity with ManageIQ-style labels and indexes; Unknown has no index and is left out', () => {
    expect(JSON.parse(wanted(new Date())[VULNERABILITY]!).summary).toEqual([
      { label: 'critical', severityIndex: 3, data: 0 },
      { label: 'high', severityIndex: 2, data: 0 },
      { label: 'medium', severityIndex: 1, data: 2 },
      { label: 'low', severityIndex: 0, data: 1 },
    ]);
  });

  it('keeps only imagewarden-owned keys after a patch', () => {
    expect(ownedAfter({ other: 'x', [DENY_EXECUTION]: 'true', [FAILED_POLICIES]: 'p' }, { [DENY_EXECUTION]: null, [VULNERABILITY]: 'v' })).toEqual({ [FAILED_POLICIES]: 'p', [VULNERABILITY]: 'v' });
  });
});
