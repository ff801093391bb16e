import type { CustomObjectsApi } from '@kubernetes/client-node';
import { messageOf, OpenShiftError } from '../errors';
import { connectToCluster } from '../sources/openshift-cluster';
import type { Db } from '../store/database';
import { EnforcementStore, type EnforcementAction } from '../store/enforcement';
import { annotationDiff, DENY_EXECUTION, ownedAfter, wantedAnnotations, type AnnotationChanges } from './annotations';
import type { EnforcementSubject, EnforcementSummary, Enforcer } from './enforcer';
import { getImage, patchImage, type ImageObject, type ImagePatch } from './patch-image';

export interface OpenShiftEnforcerOptions {
  source: string;
  kubeconfig?: string;
  context?: string;
  dryRun: boolean;
  enforceUnknown: boolean;
  db: Db;
  log: (line: string) => void;
  scannerVersion: string;
  now?: () => Date;
  /** Deadline of one API request (default: API_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
}

/** Attempts per Image when another writer keeps changing it between our GET and PATCH (409). */
const MAX_ATTEMPTS = 5;

type Outcome = 'denied' | 'cleared' | 'updated' | 'unchanged' | 'failed' | 'dryRun' | 'skipped';

const COUNTED: Record<EnforcementAction, Outcome> = { deny: 'denied', allow: 'cleared', update: 'updated' };

/**
 * Annotates OpenShift Image objects after their verdicts: deny-execution and the failed policies
 * on non-compliant images, neither on compliant ones, the vulnerability summary on all. Each
 * Image is read first and patched only where its live annotations differ from the wanted ones,
 * with a merge patch guarded by the resourceVersion read; every change is audited.
 */
export class OpenShiftEnforcer implements Enforcer {
  private readonly store: EnforcementStore;
  private readonly now: () => Date;
  private api?: CustomObjectsApi;

  constructor(private readonly options: OpenShiftEnforcerOptions) {
    this.store = new EnforcementStore(options.db);
    this.now = options.now ?? (() => new Date());
  }

  async enforce(subjects: readonly EnforcementSubject[], options: { signal?: AbortSignal }): Promise<EnforcementSummary> {
    const summary: EnforcementSummary = { denied: 0, cleared: 0, updated: 0, unchanged: 0, failed: 0, dryRun: 0 };
    for (const [i, subject] of subjects.entries()) {
      if (options.signal?.aborted) {
        this.options.log(`enforcement on ${this.options.source} stopped: ${subjects.length - i} of ${subjects.length} images left as they are`);
        break;
      }
      const outcome = await this.enforceOne(subject);
      if (outcome !== 'skipped') summary[outcome]++;
    }
    return summary;
  }

  private async enforceOne(subject: EnforcementSubject): Promise<Outcome> {
    const { imageName } = subject;
    const wanted = wantedAnnotations({
      reference: subject.reference,
      verdict: subject.verdict,
      enforceUnknown: this.options.enforceUnknown,
      scannerVersion: this.options.scannerVersion,
      now: this.now(),
    });
    const last = this.store.lastApplied(this.options.source, imageName);
    // An image imagewarden has never marked and does not deny now is left untouched: the
    // cluster's objects carry imagewarden's annotations only where it restricts, or restricted.
    if (wanted[DENY_EXECUTION] !== 'true' && !last) return 'unchanged';
    for (let attempt = 1; ; attempt++) {
      let live: ImageObject;
      try {
        live = await getImage(this.client(), imageName, this.options.requestTimeoutMs);
      } catch (e) {
        return this.failed(subject, 'get', actionOf(wanted, last?.annotations), { metadata: { annotations: wanted } }, e);
      }
      const liveAnnotations = live.metadata.annotations;
      const diff = annotationDiff(liveAnnotations, wanted);
      if (Object.keys(diff).length === 0) {
        this.remember(subject, ownedAfter(liveAnnotations, {}), last?.annotations);
        return 'unchanged';
      }
      if (last && Object.keys(annotationDiff(last.annotations, wanted)).length === 0) {
        this.options.log(`Image ${imageName}: its annotations were changed on the cluster since imagewarden set them; restoring ${Object.keys(diff).join(', ')}`);
      }
      const action = actionOf(diff, liveAnnotations);
      const patch: ImagePatch = { metadata: { ...(live.metadata.resourceVersion !== undefined && { resourceVersion: live.metadata.resourceVersion }), annotations: diff } };
      if (this.options.dryRun) {
        this.options.log(`dry run: would ${action} Image ${imageName} (${subject.reference}): PATCH /apis/image.openshift.io/v1/images/${imageName} application/merge-patch+json ${JSON.stringify(patch)}`);
        this.store.audit({ at: this.now().toISOString(), source: this.options.source, imageName, action, dryRun: true, patch, outcome: 'dry-run' });
        return 'dryRun';
      }
      try {
        await patchImage(this.client(), imageName, patch, this.options.requestTimeoutMs);
      } catch (e) {
        if (e instanceof OpenShiftError && e.status === 409 && attempt < MAX_ATTEMPTS) {
          this.options.log(`Image ${imageName} changed while being patched (409 Conflict, attempt ${attempt} of ${MAX_ATTEMPTS}); reading it again`);
          continue;
        }
        return this.failed(subject, 'patch', action, patch, e);
      }
      const owned = ownedAfter(liveAnnotations, diff);
      const at = this.now().toISOString();
      this.store.recordApplied(
        { source: this.options.source, imageName, deny: owned[DENY_EXECUTION] === 'true', annotations: owned, patchedAt: at },
        { at, source: this.options.source, imageName, action, dryRun: false, patch, outcome: 'applied' },
      );
      this.options.log(`${action} Image ${imageName} (${subject.reference}): ${describeChanges(diff)}`);
      return COUNTED[action];
    }
  }

  /** Keeps the stored record in step with the cluster when the live Image already carries what is wanted. */
  private remember(subject: EnforcementSubject, owned: Record<string, string>, stored: Record<string, string> | undefined): void {
    if (stored && JSON.stringify(stored) === JSON.stringify(owned)) return;
    this.store.recordApplied({ source: this.options.source, imageName: subject.imageName, deny: owned[DENY_EXECUTION] === 'true', annotations: owned, patchedAt: this.now().toISOString() });
  }

  private failed(subject: EnforcementSubject, verb: 'get' | 'patch', action: EnforcementAction, patch: ImagePatch | { metadata: { annotations: AnnotationChanges } }, e: unknown): Outcome {
    const { imageName } = subject;
    if (e instanceof OpenShiftError && e.status === 404) {
      this.options.log(`Image ${imageName} (${subject.reference}) no longer exists on the cluster; skipped`);
      return 'skipped';
    }
    const error = e instanceof OpenShiftError && e.status === 403 ? missingPermission(verb, imageName, e) : e;
    const message = messageOf(error);
    this.store.audit({ at: this.now().toISOString(), source: this.options.source, imageName, action, dryRun: this.options.dryRun, patch, outcome: 'failed', message });
    this.options.log(`failed to ${action} Image ${imageName} (${subject.reference}): ${message}`);
    return 'failed';
  }

  private client(): CustomObjectsApi {
    this.api ??= connectToCluster({ kubeconfig: this.options.kubeconfig, context: this.options.context, source: this.options.source }).api;
    return this.api;
  }
}

/** A 403 restated as the RBAC rule that is missing and where it is granted. */
function missingPermission(verb: 'get' | 'patch', imageName: string, e: OpenShiftError): OpenShiftError {
  return new OpenShiftError(
    `missing RBAC permission: "${verb}" on images.image.openshift.io at the cluster scope (the ClusterRole in deploy/clusterrole.yaml grants it) — ${e.message}`,
    { image: imageName, status: 403, reason: e.reason },
    { cause: e },
  );
}

function actionOf(changes: AnnotationChanges, live: Record<string, string> | undefined): EnforcementAction {
  if (changes[DENY_EXECUTION] === 'true') return 'deny';
  if (DENY_EXECUTION in changes && changes[DENY_EXECUTION] === null && live?.[DENY_EXECUTION] === 'true') return 'allow';
  return 'update';
}

function describeChanges(changes: AnnotationChanges): string {
  return Object.entries(changes)
    .map(([key, value]) => (value === null ? `removed ${key}` : `set ${key}`))
    .join(', ');
}
