/**
 * Numbered schema migrations, applied in order inside one transaction each. A migration, once
 * released, is never edited: a change is a new number.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'images, layers, inventories, packages, scan errors',
    sql: `
      CREATE TABLE layers (
        digest           TEXT NOT NULL,
        analyzer_version TEXT NOT NULL,
        size             INTEGER NOT NULL,
        analysis         TEXT NOT NULL,
        analyzed_at      TEXT NOT NULL,
        PRIMARY KEY (digest, analyzer_version)
      );

      CREATE TABLE inventories (
        digest           TEXT PRIMARY KEY,
        analyzer_version TEXT NOT NULL,
        media_type       TEXT NOT NULL,
        platform         TEXT,
        config_digest    TEXT NOT NULL,
        os_id            TEXT,
        os_version       TEXT,
        os               TEXT,
        config           TEXT NOT NULL,
        layers           TEXT NOT NULL,
        package_dbs      TEXT NOT NULL,
        warnings         TEXT NOT NULL,
        scanned_at       TEXT NOT NULL
      );

      CREATE TABLE packages (
        inventory_digest TEXT NOT NULL REFERENCES inventories(digest) ON DELETE CASCADE,
        ecosystem        TEXT NOT NULL,
        name             TEXT NOT NULL,
        version          TEXT NOT NULL,
        epoch            INTEGER,
        upstream_version TEXT,
        release          TEXT,
        arch             TEXT,
        source           TEXT,
        source_version   TEXT,
        vendor           TEXT
      );
      CREATE INDEX packages_by_inventory ON packages(inventory_digest);
      CREATE INDEX packages_by_name ON packages(ecosystem, name);

      CREATE TABLE images (
        id           INTEGER PRIMARY KEY,
        registry     TEXT NOT NULL,
        repository   TEXT NOT NULL,
        tag          TEXT NOT NULL DEFAULT '',
        digest       TEXT NOT NULL,
        index_digest TEXT,
        platform     TEXT,
        first_seen   TEXT NOT NULL,
        last_seen    TEXT NOT NULL,
        scan_status  TEXT NOT NULL CHECK (scan_status IN ('scanned', 'failed')),
        last_error   TEXT,
        UNIQUE (registry, repository, tag, digest)
      );
      CREATE INDEX images_by_digest ON images(digest);

      CREATE TABLE scan_errors (
        id          INTEGER PRIMARY KEY,
        registry    TEXT NOT NULL,
        repository  TEXT NOT NULL,
        tag         TEXT,
        digest      TEXT,
        layer       TEXT,
        file        TEXT,
        kind        TEXT NOT NULL,
        message     TEXT NOT NULL,
        occurred_at TEXT NOT NULL
      );
      CREATE INDEX scan_errors_by_image ON scan_errors(registry, repository);
    `,
  },
  {
    version: 2,
    name: 'feeds, advisories, findings and their changes',
    sql: `
      CREATE TABLE feeds (
        name         TEXT PRIMARY KEY,
        format       TEXT NOT NULL,
        source       TEXT NOT NULL,
        imported_at  TEXT NOT NULL,
        advisories   INTEGER NOT NULL,
        namespaces   TEXT NOT NULL,
        etag         TEXT,
        last_modified TEXT
      );

      CREATE TABLE advisories (
        id              INTEGER PRIMARY KEY,
        feed            TEXT NOT NULL REFERENCES feeds(name) ON DELETE CASCADE,
        advisory_id     TEXT NOT NULL,
        namespace       TEXT NOT NULL,
        ecosystem       TEXT NOT NULL,
        package         TEXT NOT NULL,
        state           TEXT NOT NULL,
        fixed_version   TEXT,
        severity        TEXT NOT NULL,
        vendor_severity TEXT,
        detail          TEXT NOT NULL
      );
      CREATE INDEX advisories_by_package ON advisories(namespace, ecosystem, package);
      CREATE INDEX advisories_by_feed ON advisories(feed);

      CREATE TABLE findings (
        inventory_digest TEXT NOT NULL REFERENCES inventories(digest) ON DELETE CASCADE,
        advisory_id      TEXT NOT NULL,
        package          TEXT NOT NULL,
        installed        TEXT NOT NULL,
        fixed_version    TEXT,
        state            TEXT NOT NULL,
        severity         TEXT NOT NULL,
        feed             TEXT NOT NULL,
        first_seen       TEXT NOT NULL,
        PRIMARY KEY (inventory_digest, advisory_id, package, installed)
      ) WITHOUT ROWID;

      CREATE TABLE finding_changes (
        id               INTEGER PRIMARY KEY,
        inventory_digest TEXT NOT NULL,
        at               TEXT NOT NULL,
        added            TEXT NOT NULL,
        removed          TEXT NOT NULL
      );
      CREATE INDEX finding_changes_by_inventory ON finding_changes(inventory_digest, at);

      ALTER TABLE inventories ADD COLUMN matched_at TEXT;
    `,
  },
  {
    version: 3,
    name: 'rpm signing key of each package',
    sql: `ALTER TABLE packages ADD COLUMN signature_key_id TEXT;`,
  },
];
