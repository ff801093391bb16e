import { ConfigError, messageOf } from '../src/errors';
import { VerdictRecorder } from '../src/policy/verdict-recorder';
import { analyzerVersion } from '../src/scan/analyzers';
import { ScanPool } from '../src/scan/pool/scan-pool';
import { scannerSettings } from '../src/scan/scan-image';
import type { ScanTaskOutcome } from '../src/scan/pool/scan-task';
import { sourcesFor } from '../src/sources';
import type { ImageSource } from '../src/sources/source';
import { ImageStore } from '../src/store/images';
import { VerdictStore } from '../src/store/verdicts';
import { assessPlan, recordSightings } from '../src/sweep/assess-plan';
import { DigestPlan, type DigestStatus, type PlannedDigest } from '../src/sweep/digest-plan';
import { enforceSources } from '../src/sweep/enforce-sources';
import { FairScheduler } from '../src/sweep/fair-scheduler';
import { failuresThatRepeat } from '../src/sweep/stored-failures';
import { sweepProgressLine } from '../src/sweep/sweep-progress';
import { recordComplianceSnapshot } from '../src/store/snapshots';
import type { Job, JobContext } from './job';

export interface SweepSummary {
  sources: number;
  /** Tags (and image stream tags) found. */
  tags: number;
  /** Distinct manifest digests among them. */
  digests: number;
  /** Digests not indexed before this sweep. */
  new: number;
  /** Digests scanned (blobs pulled) by this sweep. */
  scanned: number;
  /** Digests indexed before: re-assessed without pulling anything. */
  reused: number;
  /** Scans that failed in this sweep. */
  failed: number;
  compliant: number;
  nonCompliant: number;
  unknown: number;
  denied: number;
  cleared: number;
  /** Images whose annotations could not be set or cleared. */
  enforcementFailed: number;
  /** Repositories, tags or namespaces that could not be enumerated. */
  problems: number;
  durationSeconds: number;
}

/**
 * The sweep: every source enumerated at once, each manifest digest scanned once however many
 * tags point at it, digests indexed before only re-assessed, new ones scanned on the worker
 * pool under the per-source and overall limits, then every digest's verdict stored and, for
 * enforcing OpenShift sources, the cluster's annotations brought in line.
 */
export const sweepJob: Job<SweepSummary> = {
  name: 'sweep',
  run: (ctx) => new Sweep(ctx).run(),
};

class Sweep {
  private readonly started = process.hrtime.bigint();
  private readonly now = new Date();
  private readonly images: ImageStore;
  private readonly plan = new DigestPlan();
  private readonly scheduler: FairScheduler;
  private readonly progress;
  private readonly analyzerVersion = analyzerVersion();
  private readonly scanner: string;
  private readonly repeating;
  private pool?: ScanPool;
  /** Follows ctx.signal: once aborted, no new scan starts and unseen tags are not forgotten. */
  private readonly stopping = new AbortController();
  private readonly counts = { queued: 0, scanned: 0, reused: 0, failed: 0, problems: 0 };
  /** Sources that could not be enumerated completely: their unseen tags are not forgotten. */
  private readonly incomplete = new Set<string>();

  constructor(private readonly ctx: JobContext) {
    this.images = new ImageStore(ctx.db);
    const { maxLayerBytes, maxFileBytes } = ctx.config.scan;
    this.scanner = scannerSettings({ analyzerVersion: this.analyzerVersion, maxLayerBytes, maxFileBytes });
    this.repeating = failuresThatRepeat(ctx.db, this.scanner);
    const perSource = new Map(ctx.config.sources.map((s) => [s.name, s.maxConcurrentScans]));
    this.scheduler = new FairScheduler({ total: ctx.config.scan.maxConcurrentScans, perSource: (name) => perSource.get(name) ?? 1 });
    this.progress = sweepProgressLine(ctx.interactive);
  }

  async run(): Promise<SweepSummary> {
    const sources = this.selectedSources();
    // Policies are resolved now: a policy config error stops the sweep before any download.
    const recorder = new VerdictRecorder(this.ctx.db, this.ctx.config, this.now);
    const stop = () => {
      this.scheduler.stop();
      this.stopping.abort(this.ctx.signal?.reason);
    };
    if (this.ctx.signal?.aborted) stop();
    this.ctx.signal?.addEventListener('abort', stop, { once: true });
    const scans: Promise<void>[] = [];
    try {
      await Promise.all(sources.map((source) => this.discover(source, scans)));
      await Promise.all(scans);
    } finally {
      this.ctx.signal?.removeEventListener('abort', stop);
      this.progress.done();
      await this.pool?.close();
    }

    recordSightings(this.ctx.db, this.plan.entries(), { images: this.images, now: this.now, scanner: this.scanner });
    // Before assessing: a tag that moved away must not count in this sweep's tag-dependent policies.
    if (!this.stopping.signal.aborted) {
      for (const source of sources) {
        if (this.incomplete.has(source.name)) continue;
        const forgotten = this.images.forgetUnseen(source.name, this.now);
        if (forgotten) this.ctx.log(`sweep: ${source.name}: ${forgotten} tags no longer present, forgotten`);
      }
      new VerdictStore(this.ctx.db).forgetOrphans(new Date());
    }
    const { counts, verdicts } = assessPlan(this.ctx.db, this.plan.entries(), { images: this.images, recorder });
    const enforcement = await enforceSources(sources, this.plan, verdicts, this.ctx, this.now);
    // The day's counts for the trend chart: the report of a day without a sweep still has them.
    recordComplianceSnapshot(this.ctx.db, new Date(), this.ctx.config.timezone);
    const summary: SweepSummary = {
      sources: sources.length,
      tags: this.plan.tags,
      digests: this.plan.size,
      new: this.counts.queued,
      scanned: this.counts.scanned,
      reused: this.counts.reused,
      failed: this.counts.failed,
      compliant: counts.compliant,
      nonCompliant: counts.nonCompliant,
      unknown: counts.unknown,
      denied: enforcement.denied,
      cleared: enforcement.cleared,
      enforcementFailed: enforcement.failed,
      problems: this.counts.problems,
      durationSeconds: Math.round(Number(process.hrtime.bigint() - this.started) / 1e6) / 1000,
    };
    this.logSummary(summary);
    return summary;
  }

  private selectedSources(): ImageSource[] {
    const all = sourcesFor(this.ctx.config);
    if (this.ctx.source === undefined) return all;
    const one = all.filter((s) => s.name === this.ctx.source);
    if (!one.length) {
      const known = all.map((s) => s.name).join(', ') || 'none';
      throw new ConfigError(`no source named "${this.ctx.source}" is configured (sources: ${known})`, { key: 'sources' });
    }
    return one;
  }

  /** Enumerates one source and queues each digest new to this sweep; a source that fails is a problem, not the end. */
  private async discover(source: ImageSource, scans: Promise<void>[]): Promise<void> {
    const onProblem = (p: { source: string; where: string; message: string }) => {
      this.counts.problems++;
      this.incomplete.add(p.source);
      this.ctx.log(`sweep: ${p.source}: ${p.where}: ${p.message}`);
    };
    try {
      for await (const image of source.discover({ signal: this.ctx.signal, onProblem })) {
        const entry = this.plan.add(image, () => this.statusOfNew(image.digest));
        if (entry?.status === 'queued') scans.push(this.scan(source, entry));
        if (entry?.status === 'known-failure') entry.failure = this.repeating.get(entry.digest)?.message;
        this.updateProgress();
      }
    } catch (e) {
      onProblem({ source: source.name, where: source.type === 'registry' ? 'catalog' : 'image streams', message: `cannot enumerate: ${messageOf(e)}` });
    }
  }

  private statusOfNew(digest: string): DigestStatus {
    if (this.images.hasInventory(digest, this.analyzerVersion)) {
      this.counts.reused++;
      return 'indexed';
    }
    if (this.repeating.has(digest)) return 'known-failure';
    if (this.ctx.signal?.aborted) return 'not-started';
    this.counts.queued++;
    return 'queued';
  }

  private async scan(source: ImageSource, entry: PlannedDigest): Promise<void> {
    const image = entry.sightings[0]!;
    let outcome: ScanTaskOutcome;
    try {
      const scheduled = await this.scheduler.submit(source.name, () =>
        this.scanPool().scan({
          reference: image.reference,
          registry: source.registryFor(image.reference.registry),
          foundIn: { source: image.source, ...(image.namespace !== undefined && { namespace: image.namespace }) },
        }),
      );
      if (!scheduled.started) {
        entry.status = 'not-started';
        return;
      }
      outcome = scheduled.value;
    } catch (e) {
      // Not a verdict on the image's bytes: a worker that died is retried by the next sweep.
      outcome = { ok: false, kind: 'job', message: `scan worker failed: ${messageOf(e)}`, context: {} };
    }
    if (outcome.ok) {
      entry.status = 'scanned';
      if (outcome.reused) this.counts.reused++;
      else this.counts.scanned++;
    } else {
      entry.status = 'failed';
      entry.failure = outcome.message;
      entry.failureKind = outcome.kind;
      this.counts.failed++;
      this.ctx.log(`sweep: ${source.name}: scan failed: ${outcome.message}`);
    }
    this.updateProgress();
  }

  private scanPool(): ScanPool {
    const scan = this.ctx.config.scan;
    this.pool ??= new ScanPool({
      database: this.ctx.config.database,
      threads: scan.workers,
      concurrentScans: scan.maxConcurrentScans,
      platform: scan.platform,
      maxLayerBytes: scan.maxLayerBytes,
      maxFileBytes: scan.maxFileBytes,
      timeoutMs: scan.timeoutSeconds * 1000,
    });
    return this.pool;
  }

  private updateProgress(): void {
    this.progress.update({ tags: this.plan.tags, queued: this.counts.queued, scanned: this.counts.scanned, failed: this.counts.failed });
  }

  private logSummary(s: SweepSummary): void {
    const log = this.ctx.log;
    log(`sweep: ${s.sources} sources, ${s.tags} tags, ${s.digests} digests (${s.new} new)${s.problems ? `, ${s.problems} problems` : ''}`);
    log(`sweep: scanned ${s.scanned}, reused ${s.reused}, failed ${s.failed}`);
    log(`sweep: verdicts ${s.compliant} compliant, ${s.nonCompliant} non-compliant, ${s.unknown} unknown`);
    if (s.denied || s.cleared || s.enforcementFailed) {
      log(`sweep: enforcement denied ${s.denied}, cleared ${s.cleared}${s.enforcementFailed ? `, FAILED on ${s.enforcementFailed} images (see the lines above)` : ''}`);
    }
    log(`sweep: done in ${s.durationSeconds.toFixed(1)} s`);
  }
}
