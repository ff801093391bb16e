import type { Readable } from 'node:stream';
import { z } from 'zod';
import { FeedError } from '../../errors';
import type { Advisory, AdvisoryState } from '../advisory';
import type { FeedFormat } from './feed-format';
import { checkShape } from './feed-shape';
import { formatJsonPath, streamJsonValues, type JsonPath } from './json-values';
import type { FeedContext } from './feed-format';
import { debianNamespace } from './namespaces';
import { debianUrgencySeverity } from './severity';

/**
 * The Debian security tracker's JSON export (security-tracker.debian.org/tracker/data/json):
 * `{source package: {CVE: {description, scope, debianbug, releases: {codename: {status,
 * fixed_version, urgency, nodsa, nodsa_reason}}}}}`. It is one object of ~100 MB, streamed one
 * (package, CVE) value at a time. Each release becomes one advisory in `debian:N`; suites
 * without a release number (sid, experimental) are skipped and counted.
 *
 * States, after the security team's tracker documentation:
 * - resolved with fixed_version `0`: the release never had the flaw → not-affected;
 * - resolved: fixed in fixed_version → fixed;
 * - open and `unimportant` (no security impact worth an update), `end-of-life` (the package is
 *   no longer supported in that release) or `<no-dsa>` with reason `ignored` (the team will not
 *   fix it) → will-not-fix;
 * - other open issues, `<no-dsa>` without a reason or `postponed` (minor, fixed in a later
 *   update or point release) included → unfixed;
 * - undetermined (not yet known whether the release is affected) → unfixed, since an unknown
 *   must not read as safe.
 */

const release = z.object({
  status: z.enum(['resolved', 'open', 'undetermined']),
  fixed_version: z.string().nullish(),
  urgency: z.string().nullish(),
  nodsa: z.string().nullish(),
  nodsa_reason: z.string().nullish(),
  repositories: z.record(z.string(), z.string()).nullish(),
});

/** The export writes a CVE without any release as an empty list rather than an empty object. */
const releases = z.preprocess((v) => (Array.isArray(v) && v.length === 0 ? {} : v), z.record(z.string(), release));

const trackerEntry = z.object({
  description: z.string().nullish(),
  scope: z.string().nullish(),
  debianbug: z.number().nullish(),
  releases,
});
type Release = z.infer<typeof release>;

const TRACKER_HEAD = /^\s*\{\s*"[^"]+"\s*:\s*\{\s*"(CVE-\d{4}-\d+|TEMP-[0-9A-Fa-f-]+)"\s*:\s*\{/;

export const debianTrackerFormat: FeedFormat = {
  name: 'debian-tracker',
  detect(head: string): boolean {
    return TRACKER_HEAD.test(head);
  },
  parse(input: Readable, context: FeedContext): AsyncIterable<Advisory> {
    return parseTracker(input, context);
  },
};

async function* parseTracker(input: Readable, context: FeedContext): AsyncGenerator<Advisory> {
  const file = context.file;
  const takeEntry = (path: JsonPath): boolean => path.length === 2;
  for await (const { path, value } of streamJsonValues(input, file, takeEntry)) {
    if (path.length !== 2 || typeof path[0] !== 'string') {
      throw new FeedError(`expected {package: {CVE: {…}}} but found a ${describe(value)} at ${formatJsonPath(path)}`, { file });
    }
    const entry = checkShape(trackerEntry, value, file, (inner) => formatJsonPath([...path, ...(inner as JsonPath)]));
    const [sourcePackage, cve] = path as [string, string];
    for (const [codename, status] of Object.entries(entry.releases)) {
      const namespace = debianNamespace(codename);
      if (!namespace) {
        context.skipped?.add(`Debian suite ${codename} has no release number`);
        continue;
      }
      const where = formatJsonPath([...path, 'releases', codename]);
      yield advisoryOf(sourcePackage, cve, namespace, status, entry, where, context);
    }
  }
}

function advisoryOf(
  sourcePackage: string,
  cve: string,
  namespace: string,
  status: Release,
  entry: z.infer<typeof trackerEntry>,
  where: string,
  context: FeedContext,
): Advisory {
  const state = stateOf(status, where, context.file);
  const rating = status.urgency ? debianUrgencySeverity(status.urgency) : { severity: 'Unknown' as const };
  const references = [`https://security-tracker.debian.org/tracker/${cve}`];
  if (entry.debianbug) references.push(`https://bugs.debian.org/${entry.debianbug}`);
  return {
    id: cve,
    aliases: [],
    namespace,
    ecosystem: 'dpkg',
    package: sourcePackage,
    state,
    ...(state === 'fixed' ? { fixedVersion: status.fixed_version! } : {}),
    severity: rating.severity,
    ...(rating.vendorSeverity ? { vendorSeverity: rating.vendorSeverity } : {}),
    ...(entry.description ? { description: entry.description } : {}),
    references,
    feed: context.feed,
  };
}

function stateOf(status: Release, where: string, file: string): AdvisoryState {
  switch (status.status) {
    case 'resolved':
      if (!status.fixed_version) throw new FeedError(`resolved without a fixed_version at ${where}`, { file });
      return status.fixed_version === '0' ? 'not-affected' : 'fixed';
    case 'open': {
      const urgency = (status.urgency ?? '').replace(/\*+$/, '');
      if (urgency === 'unimportant' || urgency === 'end-of-life' || status.nodsa_reason === 'ignored') return 'will-not-fix';
      return 'unfixed';
    }
    case 'undetermined':
      return 'unfixed';
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  return value === null ? 'null' : typeof value;
}
