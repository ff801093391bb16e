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
  {
    version: 4,
    name: 'verdicts per digest and their history; where each image was found',
    sql: `
      ALTER TABLE images ADD COLUMN source TEXT;
      ALTER TABLE images ADD COLUMN namespace TEXT;

      CREATE TABLE verdicts (
        digest          TEXT PRIMARY KEY,
        state           TEXT NOT NULL CHECK (state IN ('compliant', 'non-compliant', 'unknown')),
        failed_policies TEXT NOT NULL,
        summary         TEXT NOT NULL,
        reason          TEXT,
        inputs          TEXT NOT NULL,
        evaluated_at    TEXT NOT NULL,
        changed_at      TEXT NOT NULL
      );

      CREATE TABLE verdict_changes (
        id         INTEGER PRIMARY KEY,
        digest     TEXT NOT NULL,
        at         TEXT NOT NULL,
        from_state TEXT,
        to_state   TEXT NOT NULL,
        cause      TEXT NOT NULL,
        detail     TEXT NOT NULL
      );
      CREATE INDEX verdict_changes_by_at ON verdict_changes(at);
      CREATE INDEX verdict_changes_by_digest ON verdict_changes(digest, at);
    `,
  },
  {
    version: 5,
    name: 'OpenShift annotations as last set, and the audit of every change',
    sql: `
      CREATE TABLE annotations (
        source      TEXT NOT NULL,
        image_name  TEXT NOT NULL,
        deny        INTEGER NOT NULL,
        annotations TEXT NOT NULL,
        patched_at  TEXT NOT NULL,
        PRIMARY KEY (source, image_name)
      );

      CREATE TABLE enforcement_audit (
        id         INTEGER PRIMARY KEY,
        at         TEXT NOT NULL,
        source     TEXT NOT NULL,
        image_name TEXT NOT NULL,
        action     TEXT NOT NULL CHECK (action IN ('deny', 'allow', 'update')),
        dry_run    INTEGER NOT NULL,
        patch      TEXT NOT NULL,
        outcome    TEXT NOT NULL CHECK (outcome IN ('applied', 'dry-run', 'failed')),
        message    TEXT
      );
      CREATE INDEX enforcement_audit_by_at ON enforcement_audit(at);
    `,
  },
  {
    version: 6,
    name: 'job runs',
    sql: `
      CREATE TABLE job_runs (
        id          INTEGER PRIMARY KEY,
        job         TEXT NOT NULL,
        trigger     TEXT NOT NULL CHECK (trigger IN ('schedule', 'run-now')),
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
        summary     TEXT,
        error       TEXT
      );
      CREATE INDEX job_runs_by_job ON job_runs(job, started_at);
    `,
  },
  {
    version: 7,
    name: 'daily compliance snapshots, rendered reports and their delivery',
    sql: `
      CREATE TABLE compliance_snapshots (
        day           TEXT PRIMARY KEY,
        at            TEXT NOT NULL,
        images        INTEGER NOT NULL,
        compliant     INTEGER NOT NULL,
        non_compliant INTEGER NOT NULL,
        unknown       INTEGER NOT NULL
      );

      CREATE TABLE reports (
        day         TEXT PRIMARY KEY,
        rendered_at TEXT NOT NULL,
        path        TEXT NOT NULL,
        subject     TEXT NOT NULL,
        summary     TEXT NOT NULL
      );

      CREATE TABLE report_deliveries (
        day             TEXT PRIMARY KEY REFERENCES reports(day),
        recipients      TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('pending', 'sent')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        last_attempt_at TEXT,
        sent_at         TEXT,
        message_id      TEXT
      );
    `,
  },
  {
    version: 8,
    name: 'the scanner settings a scan failed under',
    sql: `
      ALTER TABLE scan_errors ADD COLUMN scanner TEXT;
      CREATE INDEX scan_errors_by_digest ON scan_errors(digest, id);
    `,
  },
];
