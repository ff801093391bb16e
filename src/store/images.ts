import type Database from 'better-sqlite3';
import type { AssessedInventory, ImageConfigSummary, Inventory, OsInfo, Package, PackageDatabase } from '../inventory/types';
import type { VerdictState } from '../policy/verdict';
import type { Db } from './database';

export interface ImageLocation {
  registry: string;
  repository: string;
  tag?: string;
  /** The configured source that found it; absent for `check`. */
  source?: string;
  /** OpenShift namespace of the image stream. */
  namespace?: string;
}

export interface IndexedImage extends ImageLocation {
  digest: string;
  indexDigest?: string;
  mediaType: string;
  platform?: string;
  configDigest: string;
}

export interface ScanFailure extends ImageLocation {
  digest?: string;
  indexDigest?: string;
  platform?: string;
  kind: string;
  message: string;
  layer?: string;
  file?: string;
  /** The analyzers and limits it failed under (see `scannerSettings`): other settings may succeed. */
  scanner?: string;
}

export interface ImageRow {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
  platform: string | null;
  status: 'scanned' | 'failed';
  lastError: string | null;
  firstSeen: string;
  lastSeen: string;
  os: OsInfo | null;
  packageCount: number | null;
  /** Null until the inventory was matched against a feed that covers its OS. */
  vulnerabilities: { total: number; critical: number; high: number; fixable: number; matchedAt: string } | null;
  source: string | null;
  namespace: string | null;
  /** The digest's verdict; `unknown` when it was never assessed (a failed or missing scan), never compliant. */
  verdict: VerdictState;
  failedPolicies: string[];
}

interface InventoryRow {
  os: string | null;
  config: string;
  layers: string;
  package_dbs: string;
  warnings: string;
}

type MatchColumns = [
  digest: string,
  ecosystem: Package['ecosystem'],
  name: string,
  version: string,
  source: string | null,
  sourceVersion: string | null,
  arch: string | null,
  signatureKeyId: string | null,
];

interface PackageRow {
  ecosystem: Package['ecosystem'];
  name: string;
  version: string;
  epoch: number | null;
  upstream_version: string | null;
  release: string | null;
  arch: string | null;
  source: string | null;
  source_version: string | null;
  vendor: string | null;
  signature_key_id: string | null;
}

/** Images, their inventories and their scan failures. */
export class ImageStore {
  private upsertStmt?: Database.Statement;
  private sightingsStmt?: Database.Statement<[string], { registry: string; repository: string; tag: string; source: string | null; namespace: string | null }>;

  constructor(private readonly db: Db) {}

  /** Whether this manifest was indexed by the current analyzers, so it needs no blob at all. */
  hasInventory(digest: string, analyzerVersion: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM inventories WHERE digest = ? AND analyzer_version = ?').get(digest, analyzerVersion);
  }

  /**
   * What policies read (OS, packages, config) of many inventories, in two queries: a re-assessment
   * of every stored digest must not cost a query per image.
   */
  assessmentInputs(digests: readonly string[]): Map<string, AssessedInventory> {
    const found = new Map<string, AssessedInventory>();
    if (!digests.length) return found;
    const marks = digests.map(() => '?').join(',');
    const inventories = this.db
      .prepare<string[], { digest: string; os: string | null; config: string }>(`SELECT digest, os, config FROM inventories WHERE digest IN (${marks})`)
      .all(...digests);
    for (const r of inventories) {
      found.set(r.digest, { os: r.os ? (JSON.parse(r.os) as OsInfo) : null, packages: [], config: JSON.parse(r.config) as ImageConfigSummary });
    }
    // Only what matching and policies read, as arrays: building a million row objects of every
    // column costs more than the matching itself.
    // No ORDER BY: the index on inventory_digest already yields each inventory's rows in insertion order.
    const rows = this.db
      .prepare<string[], MatchColumns>(
        `SELECT inventory_digest, ecosystem, name, version, source, source_version, arch, signature_key_id
           FROM packages WHERE inventory_digest IN (${marks})`,
      )
      .raw()
      .all(...digests);
    for (const [digest, ecosystem, name, version, source, sourceVersion, arch, signatureKeyId] of rows) {
      // One property layout for every package, absent fields as undefined: the matcher reads these in its hot loop.
      found.get(digest)?.packages.push({
        ecosystem,
        name,
        version,
        epoch: undefined,
        upstreamVersion: undefined,
        release: undefined,
        arch: arch ?? undefined,
        source: source ?? undefined,
        sourceVersion: sourceVersion ?? undefined,
        vendor: undefined,
        signatureKeyId: signatureKeyId ?? undefined,
      });
    }
    return found;
  }

  getInventory(digest: string): Inventory | undefined {
    const row = this.db.prepare<[string], InventoryRow>('SELECT os, config, layers, package_dbs, warnings FROM inventories WHERE digest = ?').get(digest);
    if (!row) return undefined;
    const packages = this.db
      .prepare<[string], PackageRow>('SELECT * FROM packages WHERE inventory_digest = ? ORDER BY rowid')
      .all(digest)
      .map(packageFromRow);
    return {
      os: row.os ? (JSON.parse(row.os) as OsInfo) : null,
      packages,
      packageDatabases: JSON.parse(row.package_dbs) as PackageDatabase[],
      config: JSON.parse(row.config) as ImageConfigSummary,
      layers: JSON.parse(row.layers) as string[],
      warnings: JSON.parse(row.warnings) as string[],
    };
  }

  /**
   * Digests with an inventory, seen somewhere, and whose last scan did not fail: what a re-match
   * re-assesses. A digest whose rescan failed keeps the inventory of an earlier analyzer version;
   * re-matching that would overturn its `unknown` verdict with stale evidence.
   */
  indexedDigests(): string[] {
    return this.db
      .prepare<[], string>(
        `SELECT i.digest FROM inventories i
          WHERE EXISTS (SELECT 1 FROM images m WHERE m.digest = i.digest)
            AND NOT EXISTS (SELECT 1 FROM images m WHERE m.digest = i.digest AND m.scan_status = 'failed')
          ORDER BY i.digest`,
      )
      .pluck()
      .all();
  }

  /** Records that a tag points at a digest indexed before: nothing was pulled, the sighting counts. */
  recordSighting(loc: ImageLocation & { digest: string }, now = new Date()): void {
    this.upsertImage(loc, 'scanned', null, now.toISOString());
  }

  /** A tag seen again whose digest's scan failed before and is not retried: the row stays failed, no new error is written. */
  recordFailedSighting(loc: ImageLocation & { digest: string }, message: string, now = new Date()): void {
    this.upsertImage(loc, 'failed', message, now.toISOString());
  }

  /**
   * Forgets the tags of `source` not seen since `since` (the start of a sweep that enumerated the
   * source completely): a tag moved or deleted in the registry must not keep its old digest in
   * the tag-dependent policies. Returns the number of tags forgotten.
   */
  forgetUnseen(source: string, since: Date): number {
    return this.db.prepare('DELETE FROM images WHERE source = ? AND last_seen < ?').run(source, since.toISOString()).changes;
  }

  /** Every place a digest was seen: what tag- and namespace-dependent policies are evaluated on. */
  sightingsOf(digest: string): (ImageLocation & { digest: string })[] {
    // Prepared once per store: a re-assessment asks this for every stored digest.
    this.sightingsStmt ??= this.db.prepare<[string], { registry: string; repository: string; tag: string; source: string | null; namespace: string | null }>(
      'SELECT registry, repository, tag, source, namespace FROM images WHERE digest = ? ORDER BY id',
    );
    return this.sightingsStmt
      .all(digest)
      .map((r) => ({
        registry: r.registry,
        repository: r.repository,
        ...(r.tag !== '' && { tag: r.tag }),
        ...(r.source !== null && { source: r.source }),
        ...(r.namespace !== null && { namespace: r.namespace }),
        digest,
      }));
  }

  /** Records a successful scan: the image row, its inventory and packages, in one transaction. */
  saveScan(image: IndexedImage, analyzerVersion: string, inventory: Inventory | undefined, now = new Date()): void {
    const at = now.toISOString();
    this.db.transaction(() => {
      if (inventory) this.replaceInventory(image, analyzerVersion, inventory, at);
      this.upsertImage(image, 'scanned', null, at);
    })();
  }

  /**
   * Records a failed scan. An inventory stored by an earlier, successful scan stays: a registry
   * that is down tonight does not erase what was known yesterday.
   */
  saveFailure(failure: ScanFailure, now = new Date()): void {
    const at = now.toISOString();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO scan_errors (registry, repository, tag, digest, layer, file, kind, message, occurred_at, scanner)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          failure.registry, failure.repository, failure.tag ?? null, failure.digest ?? null, failure.layer ?? null, failure.file ?? null,
          failure.kind, failure.message, at, failure.scanner ?? null,
        );
      if (failure.digest) this.upsertImage({ ...failure, digest: failure.digest }, 'failed', failure.message, at);
    })();
  }

  listImages(): ImageRow[] {
    const rows = this.db
      .prepare<[], {
        registry: string; repository: string; tag: string; digest: string; platform: string | null; scan_status: 'scanned' | 'failed';
        last_error: string | null; first_seen: string; last_seen: string; os: string | null; inventory: string | null; package_count: number;
        matched_at: string | null; vulnerabilities: number; critical: number; high: number; fixable: number;
        source: string | null; namespace: string | null; state: VerdictState | null; failed_policies: string | null;
      }>(
        `SELECT i.registry, i.repository, i.tag, i.digest, i.platform, i.scan_status, i.last_error, i.first_seen, i.last_seen, inv.os, inv.digest AS inventory,
                (SELECT count(*) FROM packages p WHERE p.inventory_digest = inv.digest) AS package_count,
                inv.matched_at,
                (SELECT count(*) FROM findings f WHERE f.inventory_digest = inv.digest) AS vulnerabilities,
                (SELECT count(*) FROM findings f WHERE f.inventory_digest = inv.digest AND f.severity = 'Critical') AS critical,
                (SELECT count(*) FROM findings f WHERE f.inventory_digest = inv.digest AND f.severity = 'High') AS high,
                (SELECT count(*) FROM findings f WHERE f.inventory_digest = inv.digest AND f.state = 'fixed') AS fixable,
                i.source, i.namespace, v.state, v.failed_policies
           FROM images i LEFT JOIN inventories inv ON inv.digest = i.digest LEFT JOIN verdicts v ON v.digest = i.digest
          ORDER BY i.registry, i.repository, i.tag, i.digest`,
      )
      .all();
    return rows.map((r) => ({
      registry: r.registry,
      repository: r.repository,
      tag: r.tag,
      digest: r.digest,
      platform: r.platform,
      status: r.scan_status,
      lastError: r.last_error,
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      os: r.os ? (JSON.parse(r.os) as OsInfo) : null,
      packageCount: r.inventory === null ? null : r.package_count,
      vulnerabilities:
        r.matched_at === null ? null : { total: r.vulnerabilities, critical: r.critical, high: r.high, fixable: r.fixable, matchedAt: r.matched_at },
      source: r.source,
      namespace: r.namespace,
      verdict: r.state ?? 'unknown',
      failedPolicies: r.failed_policies ? (JSON.parse(r.failed_policies) as { name: string }[]).map((p) => p.name) : [],
    }));
  }

  private replaceInventory(image: IndexedImage, analyzerVersion: string, inv: Inventory, at: string): void {
    this.db.prepare('DELETE FROM inventories WHERE digest = ?').run(image.digest);
    this.db
      .prepare(
        `INSERT INTO inventories (digest, analyzer_version, media_type, platform, config_digest, os_id, os_version, os, config, layers, package_dbs, warnings, scanned_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        image.digest, analyzerVersion, image.mediaType, image.platform ?? null, image.configDigest, inv.os?.id ?? null, inv.os?.version ?? null,
        inv.os ? JSON.stringify(inv.os) : null, JSON.stringify(inv.config), JSON.stringify(inv.layers), JSON.stringify(inv.packageDatabases),
        JSON.stringify(inv.warnings), at,
      );
    const insert = this.db.prepare(
      `INSERT INTO packages (inventory_digest, ecosystem, name, version, epoch, upstream_version, release, arch, source, source_version, vendor, signature_key_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const p of inv.packages) {
      insert.run(image.digest, p.ecosystem, p.name, p.version, p.epoch ?? null, p.upstreamVersion ?? null, p.release ?? null, p.arch ?? null, p.source ?? null, p.sourceVersion ?? null, p.vendor ?? null, p.signatureKeyId ?? null);
    }
  }

  private upsertImage(image: ImageLocation & { digest: string; indexDigest?: string; platform?: string }, status: 'scanned' | 'failed', error: string | null, at: string): void {
    // Prepared once per store: a sweep writes one row per tag.
    this.upsertStmt ??= this.db.prepare(
      `INSERT INTO images (registry, repository, tag, digest, index_digest, platform, first_seen, last_seen, scan_status, last_error, source, namespace)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (registry, repository, tag, digest) DO UPDATE SET
         index_digest = COALESCE(excluded.index_digest, images.index_digest), platform = COALESCE(excluded.platform, images.platform),
         last_seen = excluded.last_seen, scan_status = excluded.scan_status, last_error = excluded.last_error,
         source = COALESCE(excluded.source, images.source), namespace = COALESCE(excluded.namespace, images.namespace)`,
    );
    this.upsertStmt.run(
      image.registry, image.repository, image.tag ?? '', image.digest, image.indexDigest ?? null, image.platform ?? null, at, at, status, error,
      image.source ?? null, image.namespace ?? null,
    );
  }
}

/** One property layout for every package, absent fields as undefined: the matcher reads these in its hot loop. */
function packageFromRow(r: PackageRow): Package {
  return {
    ecosystem: r.ecosystem,
    name: r.name,
    version: r.version,
    epoch: r.epoch ?? undefined,
    upstreamVersion: r.upstream_version ?? undefined,
    release: r.release ?? undefined,
    arch: r.arch ?? undefined,
    source: r.source ?? undefined,
    sourceVersion: r.source_version ?? undefined,
    vendor: r.vendor ?? undefined,
    signatureKeyId: r.signature_key_id ?? undefined,
  };
}
