import { FeedError, ImagewardenError } from '../errors';
import type { Ecosystem } from '../inventory/types';
import type { Advisory, AdvisoryState, Severity } from '../vuln/advisory';
import type { Db } from './database';

export interface FeedSource {
  name: string;
  format: string;
  /** The path or URL it was read from. */
  source: string;
  etag?: string;
  lastModified?: string;
}

export interface FeedRow extends FeedSource {
  importedAt: string;
  advisories: number;
  namespaces: string[];
}

interface AdvisoryRow {
  feed: string;
  advisory_id: string;
  namespace: string;
  ecosystem: Ecosystem;
  package: string;
  state: AdvisoryState;
  fixed_version: string | null;
  severity: Severity;
  vendor_severity: string | null;
  detail: string;
}

type AdvisoryDetail = Omit<Advisory, 'id' | 'namespace' | 'ecosystem' | 'package' | 'state' | 'fixedVersion' | 'severity' | 'vendorSeverity' | 'feed'>;

const INSERT_BATCH = 500;

/** Advisories by feed. A feed is replaced as a whole, or not at all. */
export class AdvisoryStore {
  constructor(private readonly db: Db) {}

  /**
   * Replaces everything `feed` said with what `advisories` yields, in one transaction: if the
   * stream fails half way (truncated file, unknown format, a bad record) the feed's previous
   * advisories are what stays. The transaction spans the stream's awaits, so nothing else may
   * write through this connection meanwhile; the CLI and the jobs import one feed at a time.
   */
  async importFeed(feed: FeedSource, advisories: AsyncIterable<Advisory>, now = new Date()): Promise<FeedRow> {
    const insert = this.db.prepare(
      `INSERT INTO advisories (feed, advisory_id, namespace, ecosystem, package, state, fixed_version, severity, vendor_severity, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertMany = (batch: Advisory[]) => {
      for (const a of batch) {
        insert.run(feed.name, a.id, a.namespace, a.ecosystem, a.package, a.state, a.fixedVersion ?? null, a.severity, a.vendorSeverity ?? null, JSON.stringify(detailOf(a)));
      }
    };
    const namespaces = new Set<string>();
    let count = 0;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.db.prepare('DELETE FROM advisories WHERE feed = ?').run(feed.name);
      this.db
        .prepare(
          `INSERT INTO feeds (name, format, source, imported_at, advisories, namespaces, etag, last_modified) VALUES (?, ?, ?, ?, 0, '[]', ?, ?)
           ON CONFLICT (name) DO UPDATE SET format = excluded.format, source = excluded.source, etag = excluded.etag, last_modified = excluded.last_modified`,
        )
        .run(feed.name, feed.format, feed.source, now.toISOString(), feed.etag ?? null, feed.lastModified ?? null);
      let batch: Advisory[] = [];
      for await (const a of advisories) {
        namespaces.add(a.namespace);
        batch.push(a);
        count++;
        if (batch.length >= INSERT_BATCH) {
          insertMany(batch);
          batch = [];
        }
      }
      insertMany(batch);
      this.db
        .prepare('UPDATE feeds SET format = ?, imported_at = ?, advisories = ?, namespaces = ? WHERE name = ?')
        .run(feed.format, now.toISOString(), count, JSON.stringify([...namespaces].sort()), feed.name);
      this.db.exec('COMMIT');
    } catch (e) {
      this.db.exec('ROLLBACK');
      if (e instanceof ImagewardenError) throw e;
      throw new FeedError(`import of feed ${feed.name} failed: ${(e as Error).message}`, { file: feed.source }, { cause: e });
    }
    return {
      name: feed.name,
      format: feed.format,
      source: feed.source,
      ...(feed.etag !== undefined && { etag: feed.etag }),
      ...(feed.lastModified !== undefined && { lastModified: feed.lastModified }),
      importedAt: now.toISOString(),
      advisories: count,
      namespaces: [...namespaces].sort(),
    };
  }

  feeds(): FeedRow[] {
    return this.db
      .prepare<[], { name: string; format: string; source: string; imported_at: string; advisories: number; namespaces: string; etag: string | null; last_modified: string | null }>(
        'SELECT * FROM feeds ORDER BY name',
      )
      .all()
      .map((r) => ({
        name: r.name,
        format: r.format,
        source: r.source,
        importedAt: r.imported_at,
        advisories: r.advisories,
        namespaces: JSON.parse(r.namespaces) as string[],
        ...(r.etag !== null && { etag: r.etag }),
        ...(r.last_modified !== null && { lastModified: r.last_modified }),
      }));
  }

  feed(name: string): FeedRow | undefined {
    return this.feeds().find((f) => f.name === name);
  }

  /** Every advisory of the given namespaces (all when none are given), for building a match index. */
  *advisories(namespaces?: readonly string[]): Iterable<Advisory> {
    const stmt = namespaces
      ? this.db.prepare<string[], AdvisoryRow>(`SELECT * FROM advisories WHERE namespace IN (${namespaces.map(() => '?').join(',') || "''"})`)
      : this.db.prepare<string[], AdvisoryRow>('SELECT * FROM advisories');
    for (const r of stmt.iterate(...(namespaces ?? []))) yield advisoryFromRow(r);
  }
}

function detailOf(a: Advisory): AdvisoryDetail {
  const { id: _i, namespace: _n, ecosystem: _e, package: _p, state: _s, fixedVersion: _f, severity: _v, vendorSeverity: _vs, feed: _fd, ...detail } = a;
  return detail;
}

/**
 * Every advisory gets the same property layout, absent fields included as undefined: the
 * matcher reads these objects millions of times, and objects of one shape keep those reads fast.
 */
function advisoryFromRow(r: AdvisoryRow): Advisory {
  const d = JSON.parse(r.detail) as AdvisoryDetail;
  return {
    id: r.advisory_id,
    aliases: d.aliases,
    namespace: r.namespace,
    ecosystem: r.ecosystem,
    package: r.package,
    state: r.state,
    fixedVersion: r.fixed_version ?? undefined,
    ranges: d.ranges,
    versions: d.versions,
    severity: r.severity,
    vendorSeverity: r.vendor_severity ?? undefined,
    cvss: d.cvss,
    title: d.title,
    description: d.description,
    references: d.references,
    published: d.published,
    modified: d.modified,
    feed: r.feed,
    conditions: d.conditions,
  };
}
