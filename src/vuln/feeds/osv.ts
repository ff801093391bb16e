import type { Readable } from 'node:stream';
import { z } from 'zod';
import { FeedError } from '../../errors';
import type { Ecosystem } from '../../inventory/types';
import type { AdvisoryState, Advisory, AffectedRange, Cvss } from '../advisory';
import { schemeFor } from '../versions';
import type { FeedFormat } from './feed-format';
import { checkShape } from './feed-shape';
import { formatJsonPath, streamJsonValues, type JsonPath } from './json-values';
import type { FeedContext } from './feed-format';
import { osvNamespace, type DistroNamespace } from './namespaces';
import { cvssRating, cvssV3BaseScore, ubuntuPrioritySeverity, type SeverityRating } from './severity';

/**
 * OSV (https://ossf.github.io/osv-schema/): a file holds one record or a JSON array of records.
 * Each `affected` entry of a distribution we match becomes one advisory in that release's
 * namespace; entries of other ecosystems and withdrawn records are skipped and counted.
 */

const severityEntry = z.object({ type: z.string(), score: z.string() });

const event = z
  .object({
    introduced: z.string().optional(),
    fixed: z.string().optional(),
    last_affected: z.string().optional(),
    limit: z.string().optional(),
  })
  .refine((e) => Object.values(e).filter((v) => v !== undefined).length === 1, {
    message: 'an event holds exactly one of introduced, fixed, last_affected, limit',
  });

const range = z.object({ type: z.string(), events: z.array(event) });

const labels = z.record(z.string(), z.unknown()).nullish();

const affectedEntry = z.object({
  package: z.object({ ecosystem: z.string(), name: z.string().min(1), purl: z.string().optional() }).optional(),
  severity: z.array(severityEntry).nullish(),
  ranges: z.array(range).nullish(),
  versions: z.array(z.string()).nullish(),
  ecosystem_specific: labels,
  database_specific: labels,
});

const osvRecord = z.object({
  id: z.string().min(1),
  modified: z.string().nullish(),
  published: z.string().nullish(),
  withdrawn: z.string().nullish(),
  aliases: z.array(z.string()).nullish(),
  upstream: z.array(z.string()).nullish(),
  summary: z.string().nullish(),
  details: z.string().nullish(),
  severity: z.array(severityEntry).nullish(),
  affected: z.array(affectedEntry).nullish(),
  references: z.array(z.object({ type: z.string().optional(), url: z.string() })).nullish(),
  database_specific: labels,
});

type OsvRecord = z.infer<typeof osvRecord>;
type OsvAffected = z.infer<typeof affectedEntry>;
type OsvEvent = z.infer<typeof event>;

/** The first object of an OSV file: an `"id"` beside one of the fields every record carries. */
const OSV_HEAD = /^\s*\[?\s*\{[\s\S]*"id"\s*:\s*"/;
const OSV_FIELD = /"(modified|affected|schema_version|aliases|published)"\s*:/;

export const osvFormat: FeedFormat = {
  name: 'osv',
  detect(head: string): boolean {
    return OSV_HEAD.test(head) && OSV_FIELD.test(head) && !/"csaf_version"\s*:/.test(head);
  },
  parse(input: Readable, context: FeedContext): AsyncIterable<Advisory> {
    return parseOsv(input, context);
  },
};

async function* parseOsv(input: Readable, context: FeedContext): AsyncGenerator<Advisory> {
  const takeRecord = (path: JsonPath, kind: string): boolean =>
    (path.length === 0 && kind === 'object') || (path.length === 1 && typeof path[0] === 'number');
  for await (const { path, value } of streamJsonValues(input, context.file, takeRecord)) {
    if (path.length === 0 && (value === null || typeof value !== 'object')) {
      throw new FeedError('an OSV file holds a record or an array of records', { file: context.file });
    }
    const record = checkShape(osvRecord, value, context.file, (inner) => formatJsonPath([...path, ...(inner as JsonPath)]));
    if (record.withdrawn) {
      context.skipped?.add('withdrawn OSV record');
      continue;
    }
    yield* advisoriesOf(record, path, context);
  }
}

function* advisoriesOf(record: OsvRecord, path: JsonPath, context: FeedContext): Generator<Advisory> {
  const aliases = unique([...(record.aliases ?? []), ...(record.upstream ?? [])]).filter((a) => a !== record.id);
  const references = unique((record.references ?? []).map((r) => r.url));
  for (const [index, affected] of (record.affected ?? []).entries()) {
    if (!affected.package) {
      context.skipped?.add('OSV affected entry without a package');
      continue;
    }
    const target = osvNamespace(affected.package.ecosystem);
    if ('skip' in target) {
      context.skipped?.add(target.skip);
      continue;
    }
    const where = formatJsonPath([...path, 'affected', index]);
    const advisory = advisoryOf(record, affected, affected.package.name, target, where, context);
    if (!advisory) {
      context.skipped?.add('OSV affected entry without ECOSYSTEM ranges or versions');
      continue;
    }
    yield { ...advisory, aliases, references };
  }
}

function advisoryOf(
  record: OsvRecord,
  affected: OsvAffected,
  packageName: string,
  target: DistroNamespace,
  where: string,
  context: FeedContext,
): Omit<Advisory, 'aliases' | 'references'> | undefined {
  const scheme = schemeFor(target.ecosystem);
  const ranges = (affected.ranges ?? [])
    .filter((r) => r.type === 'ECOSYSTEM')
    .flatMap((r) => rangesOf(r.events, target.ecosystem));
  const versions = affected.versions ?? [];
  if (ranges.length === 0 && versions.length === 0) return undefined;

  const fixes = ranges.flatMap((r) => (r.fixed === undefined ? [] : [r.fixed]));
  const fixedVersion = fixes.reduce<string | undefined>((max, v) => (max === undefined || scheme.compare(v, max) > 0 ? v : max), undefined);
  const state: AdvisoryState = fixedVersion === undefined ? 'unfixed' : 'fixed';
  const cvss = cvssOf(affected.severity ?? record.severity ?? [], where, context.file);
  const rating = ratingOf(record, affected, cvss);
  const vendorSeverity = target.flavour
    ? rating.vendorSeverity
      ? `${rating.vendorSeverity} (${target.flavour})`
      : target.flavour
    : rating.vendorSeverity;

  return {
    id: record.id,
    namespace: target.namespace,
    ecosystem: target.ecosystem,
    package: packageName,
    state,
    ...(fixedVersion !== undefined ? { fixedVersion } : {}),
    ...(ranges.length ? { ranges } : {}),
    ...(versions.length ? { versions } : {}),
    severity: rating.severity,
    ...(vendorSeverity !== undefined ? { vendorSeverity } : {}),
    ...(cvss.length ? { cvss } : {}),
    ...(record.summary ? { title: record.summary } : {}),
    ...(record.details ? { description: record.details } : {}),
    ...(record.published ? { published: record.published } : {}),
    ...(record.modified ? { modified: record.modified } : {}),
    feed: context.feed,
    ...(namesSource(target, affected) ? { conditions: { bySource: true } } : {}),
  };
}

/**
 * Whether an rpm advisory's package is a source rpm: always for the families that name source
 * packages, and for Red Hat (binary or source names) when the purl says `arch=src`.
 */
function namesSource(target: DistroNamespace, affected: OsvAffected): boolean {
  if (target.ecosystem !== 'rpm') return false;
  return target.bySource === true || /[?&]arch=src(&|$)/.test(affected.package?.purl ?? '');
}

/**
 * Turns an OSV event timeline into ranges. Events are ordered by the ecosystem's own version
 * order first (the schema only recommends sorting); `introduced: "0"` is the open lower bound.
 * `limit` only bounds searches through git history and carries nothing for package versions.
 */
export function rangesOf(events: OsvEvent[], ecosystem: Ecosystem): AffectedRange[] {
  const scheme = schemeFor(ecosystem);
  const versionOf = (e: OsvEvent): string => e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? '';
  const ordered = events
    .filter((e) => e.limit === undefined)
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const av = versionOf(a.e);
      const bv = versionOf(b.e);
      const aZero = a.e.introduced === '0';
      const bZero = b.e.introduced === '0';
      if (aZero || bZero) return aZero === bZero ? a.i - b.i : aZero ? -1 : 1;
      return scheme.compare(av, bv) || a.i - b.i;
    });
  const ranges: AffectedRange[] = [];
  let open: AffectedRange | undefined;
  for (const { e } of ordered) {
    if (e.introduced !== undefined) {
      open ??= e.introduced === '0' ? {} : { introduced: e.introduced };
    } else if (e.fixed !== undefined) {
      ranges.push({ ...(open ?? {}), fixed: e.fixed });
      open = undefined;
    } else if (e.last_affected !== undefined) {
      ranges.push({ ...(open ?? {}), lastAffected: e.last_affected });
      open = undefined;
    }
  }
  if (open) ranges.push(open);
  return ranges;
}

const CVSS_TYPES: Record<string, string> = { CVSS_V2: '2.0', CVSS_V4: '4.0' };

/** CVSS v3 vectors get their base score computed; v2 and v4 vectors are kept unscored. */
function cvssOf(entries: Array<{ type: string; score: string }>, where: string, file: string): Cvss[] {
  const out: Cvss[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.score)) continue;
    seen.add(entry.score);
    if (entry.type === 'CVSS_V3') {
      try {
        out.push(cvssV3BaseScore(entry.score));
      } catch (e) {
        throw new FeedError(`bad CVSS v3 vector at ${where}: ${(e as Error).message}`, { file }, { cause: e });
      }
    } else if (CVSS_TYPES[entry.type]) {
      out.push({ version: CVSS_TYPES[entry.type]!, vector: entry.score });
    }
  }
  return out;
}

/**
 * The vendor's own rating wins (Ubuntu's priority, given as a severity of type `Ubuntu` or as
 * `priority` in the entry's or record's specific fields); without one, the highest CVSS v3
 * base score decides; without either, the severity is Unknown.
 */
function ratingOf(record: OsvRecord, affected: OsvAffected, cvss: Cvss[]): SeverityRating {
  const priority =
    (affected.severity ?? record.severity ?? []).find((s) => s.type === 'Ubuntu')?.score ??
    stringField(affected.ecosystem_specific, 'priority') ??
    stringField(affected.database_specific, 'priority') ??
    stringField(record.database_specific, 'priority');
  const vendor = priority !== undefined ? ubuntuPrioritySeverity(priority) : undefined;
  if (vendor && vendor.severity !== 'Unknown') return vendor;
  const scored = cvss.filter((c) => c.score !== undefined).sort((a, b) => (b.score ?? 0) - (a.score ?? 0))[0];
  if (scored) return cvssRating(scored);
  return vendor ?? { severity: 'Unknown' };
}

function stringField(fields: Record<string, unknown> | null | undefined, key: string): string | undefined {
  const value = fields?.[key];
  return typeof value === 'string' ? value : undefined;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
