import { openDatabase } from '../../src/store/database';
import { ImageStore } from '../../src/store/images';
import { scannerSettings } from '../../src/scan/scan-image';
import { failuresThatRepeat } from '../../src/sweep/stored-failures';

describe('failures a sweep does not retry', () => {
  const today = scannerSettings({ analyzerVersion: 'a1', maxLayerBytes: 1024, maxFileBytes: 512 });
  const raisedLimit = scannerSettings({ analyzerVersion: 'a1', maxLayerBytes: 4096, maxFileBytes: 512 });
  const upgraded = scannerSettings({ analyzerVersion: 'a2', maxLayerBytes: 1024, maxFileBytes: 512 });

  function store() {
    const db = openDatabase(':memory:');
    const images = new ImageStore(db);
    const at = { registry: '127.0.0.1:5000', repository: 'team/app' };
    images.saveFailure({ ...at, tag: '1', digest: 'sha256:corrupt', kind: 'layer', message: 'corrupt gzip stream', scanner: today });
    images.saveFailure({ ...at, tag: '2', digest: 'sha256:garbage', kind: 'analyzer', message: 'not an rpm database', scanner: today });
    images.saveFailure({ ...at, tag: '3', digest: 'sha256:down', kind: 'registry-unreachable', message: 'connection refused', scanner: today });
    // A digest that failed once on the network and later on its bytes: the last failure decides.
    images.saveFailure({ ...at, tag: '4', digest: 'sha256:later', kind: 'registry-timeout', message: 'timed out', scanner: today });
    images.saveFailure({ ...at, tag: '4', digest: 'sha256:later', kind: 'layer', message: 'layer over the limit', scanner: today });
    return db;
  }

  it('keeps byte failures under the same analyzers and limits, retries transport failures', () => {
    const db = store();
    expect([...failuresThatRepeat(db, today).keys()].sort()).toEqual(['sha256:corrupt', 'sha256:garbage', 'sha256:later']);
    expect(failuresThatRepeat(db, today).get('sha256:garbage')).toEqual({ kind: 'analyzer', message: 'not an rpm database' });
    db.close();
  });

  it('retries every one of them after an analyzer upgrade or a raised size limit', () => {
    const db = store();
    expect(failuresThatRepeat(db, upgraded).size).toBe(0);
    expect(failuresThatRepeat(db, raisedLimit).size).toBe(0);
    db.close();
  });
});
