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
];
