import type { LayerAnalysis } from '../scan/layer-analysis';
import type { Db } from './database';

/** Layer analyses by layer digest and analyzer version: a layer is downloaded once per analyzer version. */
export class LayerCache {
  private readonly getStmt;
  private readonly putStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string, string], { analysis: string }>('SELECT analysis FROM layers WHERE digest = ? AND analyzer_version = ?');
    this.putStmt = db.prepare(
      `INSERT INTO layers (digest, analyzer_version, size, analysis, analyzed_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (digest, analyzer_version) DO UPDATE SET analysis = excluded.analysis, analyzed_at = excluded.analyzed_at`,
    );
  }

  get(digest: string, analyzerVersion: string): LayerAnalysis | undefined {
    const row = this.getStmt.get(digest, analyzerVersion);
    return row ? (JSON.parse(row.analysis) as LayerAnalysis) : undefined;
  }

  put(digest: string, analyzerVersion: string, size: number, analysis: LayerAnalysis): void {
    this.putStmt.run(digest, analyzerVersion, size, JSON.stringify(analysis), new Date().toISOString());
  }
}
