import type { Config } from '../config/schema';
import { StoreError } from '../errors';
import type { AssessedInventory } from '../inventory/types';
import type { Db } from '../store/database';
import { AdvisoryStore } from '../store/advisories';
import { FindingStore } from '../store/findings';
import { ImageStore } from '../store/images';
import { VerdictStore, type StoredVerdict, type VerdictChange } from '../store/verdicts';
import { matchAndRecord } from '../vuln/match-inventory';
import { AdvisoryIndex, type MatchResult } from '../vuln/matcher';
import { resolvePolicies, type PolicyConfig, type ResolvedPolicy } from './evaluate';
import { dayIn } from '../zoned-time';
import { assessImage, policyFingerprint, unknownVerdict, type Assessment, type Sighting } from './verdict';

export interface Recorded {
  verdict: StoredVerdict;
  change?: VerdictChange;
}

export interface MatchOutcome {
  covered: boolean;
  findings: number;
  added: number;
  removed: number;
}

/**
 * Turns stored inventories into stored verdicts: match against the imported feeds (the advisory
 * index is built once per recorder, so a sweep of thousands of digests pays for it once),
 * record the findings, evaluate the policies over every place the digest was seen, store the
 * verdict with its history. Policies are resolved at construction, so a config error stops a
 * run before anything is written.
 */
export class VerdictRecorder {
  readonly policies: readonly ResolvedPolicy[];
  readonly fingerprint: string;
  private readonly images: ImageStore;
  private readonly findings: FindingStore;
  private readonly advisories: AdvisoryStore;
  private readonly verdicts: VerdictStore;
  private index?: AdvisoryIndex;
  /** The day ignore entries expire against: one run, one day. */
  private readonly today: string;

  constructor(
    db: Db,
    private readonly config: Config,
    private readonly now = new Date(),
  ) {
    const { profile, rules, allowedRegistries } = config.policies;
    this.policies = resolvePolicies(profile, rules as PolicyConfig[], allowedRegistries);
    this.fingerprint = policyFingerprint({ profile, rules, allowedRegistries, ignore: config.ignore });
    this.images = new ImageStore(db);
    this.findings = new FindingStore(db);
    this.advisories = new AdvisoryStore(db);
    this.verdicts = new VerdictStore(db);
    this.today = dayIn(config.timezone, now);
  }

  /**
   * Matches, evaluates and stores the verdict on an indexed digest. A caller assessing many
   * digests passes the inventories it read in bulk (ImageStore.assessmentInputs).
   */
  assess(digest: string, stored?: AssessedInventory): Recorded & { match: MatchOutcome } {
    const inventory = stored ?? this.images.assessmentInputs([digest]).get(digest);
    if (!inventory) throw new StoreError(`no stored inventory for ${digest}: it must be indexed before it is assessed`, { image: digest });
    const { result, changes } = this.match(digest, inventory);
    return { ...this.assessInventory(digest, inventory, result).recorded, match: { covered: result.covered, findings: result.findings.length, ...changes } };
  }

  /**
   * As `assess`, with a match already made (the `check` command matches with explanations for
   * its output) and every sighting's evaluation returned for display.
   */
  assessInventory(digest: string, inventory: AssessedInventory, match: MatchResult, extraSighting?: Sighting): { assessment: Assessment; recorded: Recorded } {
    const sightings: Sighting[] = this.images
      .sightingsOf(digest)
      .map(({ registry, repository, tag, source, namespace }) => ({ image: { registry, repository, tag, digest }, source, namespace }));
    if (extraSighting) sightings.unshift(extraSighting);
    // Policies on tags and registries need a place the image was seen: without one nothing
    // could fail, and "compliant" would be a guess.
    if (!sightings.length) throw new StoreError(`no image reference points at ${digest}: record where it was seen before assessing it`, { image: digest });
    const assessment = assessImage({
      digest,
      inventory,
      findings: match.covered ? match.findings : null,
      sightings,
      policies: this.policies,
      policyFingerprint: this.fingerprint,
      ignores: this.config.ignore,
      today: this.today,
      now: this.now,
    });
    const outcome = this.verdicts.record(assessment.verdict, this.now);
    return { assessment, recorded: { verdict: outcome.stored, change: outcome.change } };
  }

  /** A digest that could not be scanned: `unknown`, never compliant, with the reason. */
  unknown(digest: string, reason: string): Recorded {
    const outcome = this.verdicts.record(unknownVerdict(digest, reason, this.fingerprint), this.now);
    return { verdict: outcome.stored, change: outcome.change };
  }

  private match(digest: string, inventory: AssessedInventory): { result: MatchResult; changes: { added: number; removed: number } } {
    this.index ??= new AdvisoryIndex(this.advisories.advisories(), this.advisories.feeds().flatMap((f) => f.namespaces));
    const { added, removed, ...result } = matchAndRecord(digest, inventory, { advisories: this.advisories, findings: this.findings }, { index: this.index, now: this.now });
    return { result, changes: { added, removed } };
  }
}
