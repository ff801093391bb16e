import type { Inventory } from '../inventory/types';
import type { AdvisoryStore } from '../store/advisories';
import type { FindingStore } from '../store/findings';
import { AdvisoryIndex, matchInventory, type MatchResult } from './matcher';
import { namespacesFor } from './os-namespaces';

/**
 * Matches one stored inventory against the imported advisories and records the findings; an
 * inventory no feed covers has its old findings cleared. A caller matching many inventories
 * passes one index built for all of them; otherwise the index holds only this OS's namespaces.
 */
export function matchAndRecord(
  digest: string,
  inventory: Pick<Inventory, 'os' | 'packages'>,
  stores: { advisories: AdvisoryStore; findings: FindingStore },
  options: { index?: AdvisoryIndex; explain?: boolean; now?: Date } = {},
): MatchResult & { added: number; removed: number } {
  const index = options.index ?? indexFor(inventory, stores.advisories);
  const result = matchInventory(inventory, index, { explain: options.explain ?? false });
  const changes = result.covered ? stores.findings.replace(digest, result.findings, options.now) : stores.findings.clear(digest, options.now);
  return { ...result, ...changes };
}

function indexFor(inventory: Pick<Inventory, 'os'>, advisories: AdvisoryStore): AdvisoryIndex {
  const covered = advisories.feeds().flatMap((f) => f.namespaces);
  return new AdvisoryIndex(advisories.advisories(namespacesFor(inventory.os)), covered);
}
