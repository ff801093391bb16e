import type { ImageReference } from '../registry/types';
import type { Finding } from '../vuln/matcher';
import { parseImagePattern } from './patterns';

/** One entry of the config's `ignore:` list: a VEX-like decision that a finding does not count. */
export interface IgnoreEntry {
  id: string;
  package?: string;
  images?: string[];
  reason: string;
  /** YYYY-MM-DD: from this day on the entry no longer applies. */
  expires?: string;
}

export interface IgnoreOutcome {
  /** Findings that still count for the policies. */
  kept: Finding[];
  ignored: { finding: Finding; entry: IgnoreEntry }[];
  /** Entries that would match a finding of this image but have expired: the report says so. */
  expired: { finding: Finding; entry: IgnoreEntry }[];
}

/**
 * Applies the ignore list to one image's findings. An entry matches by advisory id or alias,
 * optionally by package (binary or source name) and image pattern; from its `expires` day on it
 * no longer applies, and the finding counts again, reported as an expired exception.
 */
export function applyIgnores(findings: readonly Finding[], image: ImageReference, entries: readonly IgnoreEntry[], today: string): IgnoreOutcome {
  const active: IgnoreEntry[] = [];
  const lapsed: IgnoreEntry[] = [];
  for (const entry of entries) {
    if (entry.images?.length && !entry.images.some((p) => parseImagePattern(p).matches(image))) continue;
    (entry.expires !== undefined && entry.expires <= today ? lapsed : active).push(entry);
  }
  const outcome: IgnoreOutcome = { kept: [], ignored: [], expired: [] };
  for (const finding of findings) {
    const entry = active.find((e) => matches(e, finding));
    if (entry) {
      outcome.ignored.push({ finding, entry });
      continue;
    }
    outcome.kept.push(finding);
    const old = lapsed.find((e) => matches(e, finding));
    if (old) outcome.expired.push({ finding, entry: old });
  }
  return outcome;
}

function matches(entry: IgnoreEntry, finding: Finding): boolean {
  if (entry.id !== finding.advisoryId && !finding.aliases.includes(entry.id)) return false;
  return entry.package === undefined || entry.package === finding.package || entry.package === finding.advisoryPackage;
}
