import type { Analyzer } from './analyzer';
import { apkAnalyzer } from './apk';
import { dpkgAnalyzer } from './dpkg';
import { osReleaseAnalyzer } from './os-release';
import { rpmAnalyzer } from './rpm';

export const analyzers: readonly Analyzer[] = [osReleaseAnalyzer, dpkgAnalyzer, apkAnalyzer, rpmAnalyzer];

/** Bumped when the layer reader's output changes for the same bytes (selection, whiteouts, links). */
const LAYER_READER_VERSION = 1;

/** Names the analyzer set in caches: any analyzer bump re-indexes, reusing nothing stale. */
export function analyzerVersion(list: readonly Analyzer[] = analyzers): string {
  return [`reader:${LAYER_READER_VERSION}`, ...list.map((a) => `${a.name}:${a.version}`)].join(',');
}
