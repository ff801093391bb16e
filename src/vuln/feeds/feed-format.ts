import type { Readable } from 'node:stream';
import type { Advisory } from '../advisory';
import type { SkipTally } from './namespaces';

export interface FeedContext {
  /** The file being read (for a folder or archive: the member), for errors and provenance. */
  file: string;
  /** Name of the configured feed; every advisory carries it. */
  feed: string;
  /** Counts what a parser leaves out and why, so an import reports it instead of silently shrinking. */
  skipped?: SkipTally;
}

/**
 * One native feed format. `parse` streams: a 100 MB feed must not be held in memory whole.
 * Malformed or truncated input throws FeedError naming the file and the position (byte offset,
 * line, JSON path or XML element), so that an import can be rolled back and say why.
 */
export interface FeedFormat {
  readonly name: 'osv' | 'alpine-secdb' | 'debian-tracker' | 'redhat-oval' | 'redhat-csaf';
  /** Decides from the first (decompressed) bytes and the file name whether this format reads the file. */
  detect(head: string, fileName: string): boolean;
  parse(input: Readable, context: FeedContext): AsyncIterable<Advisory>;
}
