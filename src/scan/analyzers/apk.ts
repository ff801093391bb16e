import { AnalyzerError } from '../../errors';
import type { Package } from '../../inventory/types';
import type { Analyzer, FileFindings, LayerFile } from './analyzer';
import { decodeText, splitRecords, type TextRecord } from './text-records';

/**
 * Alpine's installed database: one record per package, records separated by blank lines, every
 * line a one-letter key, a colon and a value (`P:` name, `V:` version, `A:` arch, `o:` origin).
 * A file with no record at all is an empty database; anything else that does not parse fails.
 */

const INSTALLED_DB = 'lib/apk/db/installed';

const LINE = /^([A-Za-z]):(.*)$/;
// Names and versions as abuild writes them; anything else is not a package record.
const PACKAGE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z._+~-]*$/;
// Keys that identify the package and so may appear once; file keys (F, R, Z…) repeat by design.
const SINGLE_KEYS = new Set(['P', 'V', 'A', 'o']);

interface Value {
  text: string;
  line: number;
}

function readRecord(record: TextRecord, file: string): Map<string, Value> {
  const values = new Map<string, Value>();
  for (const { number, text } of record.lines) {
    const match = LINE.exec(text);
    if (!match) throw new AnalyzerError(`apk database: line ${number} is not a "K:value" line`, { file });
    const [, key, value] = match;
    if (!SINGLE_KEYS.has(key)) continue;
    if (values.has(key)) throw new AnalyzerError(`apk database: ${key}: repeated on line ${number}`, { file });
    values.set(key, { text: value, line: number });
  }
  return values;
}

function toPackage(record: TextRecord, file: string): Package {
  const values = readRecord(record, file);
  const name = values.get('P');
  const version = values.get('V');
  if (!name || !version) {
    const missing = name ? 'V:' : 'P:';
    throw new AnalyzerError(`apk database: record at line ${record.firstLine} has no ${missing} line`, { file });
  }
  if (!PACKAGE_NAME.test(name.text)) {
    throw new AnalyzerError(`apk database: invalid package name "${name.text}" on line ${name.line}`, { file });
  }
  if (!VERSION.test(version.text)) {
    throw new AnalyzerError(`apk database: invalid version "${version.text}" on line ${version.line}`, { file });
  }
  const origin = values.get('o');
  if (origin && !PACKAGE_NAME.test(origin.text)) {
    throw new AnalyzerError(`apk database: invalid origin "${origin.text}" on line ${origin.line}`, { file });
  }
  const pkg: Package = {
    ecosystem: 'apk',
    name: name.text,
    version: version.text,
    // A package built from its own APKBUILD is its own origin; secdb advisories key on origin.
    source: origin ? origin.text : name.text,
  };
  const arch = values.get('A');
  if (arch) pkg.arch = arch.text;
  return pkg;
}

export const apkAnalyzer: Analyzer = {
  name: 'apk',
  version: 1,
  wants(path: string): boolean {
    return path === INSTALLED_DB;
  },
  parse(file: LayerFile): FileFindings {
    if (file.path !== INSTALLED_DB) {
      throw new AnalyzerError('apk analyzer was handed a file that is not an apk database', { file: file.path });
    }
    const text = decodeText(file, 'apk database');
    const packages = splitRecords(text).map((record) => toPackage(record, file.path));
    return { packageDb: { ecosystem: 'apk', format: 'installed', packages } };
  },
};
