import type { JobContext } from '../../jobs/job';
import { OpenShiftEnforcer } from '../enforce/openshift-enforcer';
import type { EnforcementSubject, Enforcer } from '../enforce/enforcer';
import { formatReference } from '../registry/reference';
import { IMAGEWARDEN_VERSION } from '../version';
import type { ImageSource } from '../sources/source';
import type { StoredVerdict } from '../store/verdicts';
import type { DigestPlan } from './digest-plan';

type OpenShiftSourceConfig = Extract<JobContext['config']['sources'][number], { type: 'openshift' }>;

export interface EnforcementTotals {
  denied: number;
  cleared: number;
  /** Images whose annotations could not be brought in line (403, API errors): still runnable if they should not be. */
  failed: number;
}

/**
 * For each OpenShift source with `enforce: true`: the verdict of every digest it saw, handed to
 * its enforcer, which annotates the cluster's Image objects. Digests the sweep did not assess
 * (stopped before their scan) are left out: their annotation stays as it was.
 */
export async function enforceSources(
  sources: readonly ImageSource[],
  plan: DigestPlan,
  verdicts: ReadonlyMap<string, StoredVerdict>,
  ctx: JobContext,
  now: Date,
): Promise<EnforcementTotals> {
  const totals: EnforcementTotals = { denied: 0, cleared: 0, failed: 0 };
  for (const source of sources) {
    const config = ctx.config.sources.find((s): s is OpenShiftSourceConfig => s.name === source.name && s.type === 'openshift');
    if (!config?.enforce) continue;
    const subjects: EnforcementSubject[] = [];
    for (const entry of plan.digestsOf(source.name)) {
      const verdict = verdicts.get(entry.digest);
      const seen = entry.sightings.find((s) => s.source === source.name);
      if (verdict && seen) subjects.push({ source: source.name, imageName: entry.digest, reference: formatReference(seen.reference), verdict });
    }
    const summary = await enforcerFor(config, ctx, now).enforce(subjects, { signal: ctx.signal });
    totals.denied += summary.denied;
    totals.cleared += summary.cleared;
    totals.failed += summary.failed;
  }
  return totals;
}

/** One enforcer per source and run: it reads the annotations it set before from the store. */
function enforcerFor(config: OpenShiftSourceConfig, ctx: JobContext, now: Date): Enforcer {
  return new OpenShiftEnforcer({
    source: config.name,
    kubeconfig: config.kubeconfig,
    context: config.context,
    dryRun: config.dryRun,
    enforceUnknown: ctx.config.policies.enforceUnknown,
    db: ctx.db,
    log: ctx.log,
    scannerVersion: IMAGEWARDEN_VERSION,
    now: () => now,
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
  });
}
