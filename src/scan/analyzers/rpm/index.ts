import { AnalyzerError, ImagewardenError, messageOf } from '../../../errors';
import type { Package } from '../../../inventory/types';
import type { Analyzer, FileFindings, LayerFile } from '../analyzer';
import { readBdbHeaders } from './bdb';
import { detectFormat, type RpmDbFormat } from './detect';
import { parseHeaderBlob } from './header';
import { readNdbHeaders } from './ndb';
import { packageFromHeader } from './package';
import type { HeaderRecord } from './record';
import { readSqliteHeaders } from './sqlite';

/** Where rpm keeps its database, for each backend and both the classic and the sysimage location. */
const DATABASE_PATHS = new Set([
  'var/lib/rpm/Packages',
  'var/lib/rpm/rpmdb.sqlite',
  'usr/lib/sysimage/rpm/rpmdb.sqlite',
  'usr/lib/sysimage/rpm/Packages.db',
  'usr/lib/sysimage/rpm/Packages',
]);

const BACKENDS: Record<RpmDbFormat, { label: string; record: string; read: (data: Buffer) => HeaderRecord[] }> = {
  bdb: { label: 'rpm BerkeleyDB', record: 'header', read: readBdbHeaders },
  sqlite: { label: 'rpm SQLite', record: 'Packages row', read: readSqliteHeaders },
  ndb: { label: 'rpm NDB', record: 'package', read: readNdbHeaders },
};

function packagesOf(format: RpmDbFormat, records: HeaderRecord[]): Package[] {
  const backend = BACKENDS[format];
  const packages: Package[] = [];
  for (const record of records) {
    try {
      const header = parseHeaderBlob(record.blob);
      packages.push(packageFromHeader(header));
    } catch (e) {
      if (!(e instanceof AnalyzerError)) throw e;
      throw new AnalyzerError(`${backend.label}: ${backend.record} ${record.id}: ${e.message}`, {}, { cause: e });
    }
  }
  return packages;
}

/** Installed rpm packages from any of rpm's three database backends. */
export const rpmAnalyzer: Analyzer = {
  name: 'rpm',
  // 2: packages carry the key id of their signature.
  version: 2,
  wants: (path) => DATABASE_PATHS.has(path),
  parse({ path, data }: LayerFile): FileFindings {
    try {
      const format = detectFormat(data);
      const packages = packagesOf(format, BACKENDS[format].read(data));
      return { packageDb: { ecosystem: 'rpm', format, packages } };
    } catch (e) {
      if (e instanceof ImagewardenError) throw e.withContext({ file: path });
      throw new AnalyzerError(`rpm database: ${messageOf(e)}`, { file: path }, { cause: e });
    }
  },
};
