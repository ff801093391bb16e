import { openDatabase } from '../../src/store/database';
import { FindingStore } from '../../src/store/findings';
import { ImageStore } from '../../src/store/images';
import type { Finding } from '../../src/vuln/matcher';

const finding = (advisoryId: string): Finding => ({
  advisoryId,
  aliases: [],
  package: 'musl',
  advisoryPackage: 'musl',
  installed: '1.2.5-r0',
  fixedVersion: '1.2.5-r1',
  state: 'fixed',
  severity: 'High',
  feed: 'alpine-3.20-main',
  namespace: 'alpine:3.20',
});

describe('findings of an inventory no feed covers any more', () => {
  it('are cleared, recorded as removed, and the inventory reads as not matched rather than clean', () => {
    const db = openDatabase(':memory:');
    const digest = 'sha256:aa';
    new ImageStore(db).saveScan(
      { registry: '127.0.0.1:5000', repository: 'apk/alpine', tag: '3.20', digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', configDigest: 'sha256:cc' },
      'v1',
      { os: { id: 'alpine', version: '3.20.3' }, packages: [], packageDatabases: [], config: { labels: {}, env: [], exposedPorts: [] }, layers: [], warnings: [] },
    );
    const findings = new FindingStore(db);
    findings.replace(digest, [finding('CVE-2025-0001'), finding('CVE-2025-0002')]);
    expect(findings.clear(digest)).toEqual({ added: 0, removed: 2 });
    expect(db.prepare('SELECT count(*) AS n FROM findings').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT matched_at FROM inventories WHERE digest = ?').get(digest)).toEqual({ matched_at: null });
    const change = db.prepare('SELECT added, removed FROM finding_changes ORDER BY id DESC LIMIT 1').get() as { added: string; removed: string };
    expect(JSON.parse(change.removed).sort()).toEqual(['CVE-2025-0001', 'CVE-2025-0002']);
    expect(new ImageStore(db).listImages()[0].vulnerabilities).toBeNull();
    db.close();
  });
});
