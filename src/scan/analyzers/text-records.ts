import { AnalyzerError } from '../../errors';
import type { LayerFile } from './analyzer';

/** One line of a text database, numbered from 1 so errors can point at it. */
export interface NumberedLine {
  number: number;
  text: string;
}

/** A run of non-blank lines: a dpkg stanza or an apk package record. */
export interface TextRecord {
  firstLine: number;
  lines: NumberedLine[];
}

// Text databases never contain C0 controls other than tab and line ends; finding one means the
// file is binary (compressed, truncated into another file, or simply not a database).
const BINARY_CHAR = /[\x00-\x08\x0B-\x0C\x0E-\x1F\x7F]/;

/**
 * Reads a file as text, refusing binary content. Bytes that are not UTF-8 are replaced rather
 * than rejected: old dpkg databases carry Latin-1 in descriptions, which must not fail a scan.
 */
export function decodeText(file: LayerFile, what: string): string {
  const text = file.data.toString('utf8').replace(/^\uFEFF/, '');
  const bad = BINARY_CHAR.exec(text);
  if (bad) {
    const line = text.slice(0, bad.index).split('\n').length;
    throw new AnalyzerError(`${what} is not text: control character on line ${line}`, { file: file.path });
  }
  return text;
}

/** Splits on LF, dropping a CR before it so files written on Windows read the same. */
export function splitLines(text: string): NumberedLine[] {
  const parts = text.split('\n');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((part, index) => ({ number: index + 1, text: part.endsWith('\r') ? part.slice(0, -1) : part }));
}

const BLANK = /^[ \t]*$/;

/** Groups lines into records separated by lines that are empty or hold only spaces and tabs. */
export function splitRecords(text: string): TextRecord[] {
  const records: TextRecord[] = [];
  let current: NumberedLine[] = [];
  for (const line of splitLines(text)) {
    if (BLANK.test(line.text)) {
      if (current.length > 0) records.push({ firstLine: current[0].number, lines: current });
      current = [];
    } else {
      current.push(line);
    }
  }
  if (current.length > 0) records.push({ firstLine: current[0].number, lines: current });
  return records;
}
