import type { Inventory } from '../inventory/types';
import type { AdvisoryStore } from '../store/advisories';
import type { FindingStore } from '../store/findings';
import { AdvisoryIndex, matchInventory, type MatchResult } from './matcher';
import { namespacesFor } from './os-namespaces';

/** Matches one stored inventory against the advisories of its OS's namespaces and records the findings. */
export function matchAndRecord(
  digest: string,
  inventory: Inventory,
  stores: { advisories: AdvisoryStore; findings: FindingStore },
): MatchResult & { added: number; removed: number } {
  const namespaces = namespacesFor(inventory.os);
  const covered = stores.advisories.feeds().flatMap((f) => f.namespaces);
  const index = new AdvisoryIndex(stores.advisories.advisories(namespaces), covered);
  const result = matchInventory(inventory, index, { explain: true });
  const changes = result.covered ? stores.findings.replace(digest, result.findings) : { added: 0, removed: 0 };
  return { ...result, ...changes };
}
