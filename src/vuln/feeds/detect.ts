import type { Readable } from 'node:stream';
import { FeedError } from '../../errors';
import type { FeedFormat } from './feed-format';
import { decompressedName, type FeedMember } from './open-feed-file';
import { peekStream } from './peek-stream';

/** How much of a (decompressed) file the formats get to look at. */
export const HEAD_BYTES = 64 * 1024;

export interface DetectedFeed {
  format: FeedFormat;
  /** The member's content from its first byte. */
  stream: Readable;
}

/**
 * Chooses the format that reads a file from its first bytes and name; the first format in
 * `formats` that claims it wins. A file no format claims is a FeedError naming the file and
 * what its first bytes look like, so an unexpected file is reported rather than skipped.
 */
export function pickFeedFormat(head: Buffer, file: string, formats: readonly FeedFormat[]): FeedFormat {
  const text = head.toString('utf8');
  const name = decompressedName(file);
  const format = formats.find((f) => f.detect(text, name));
  if (!format) {
    const known = formats.map((f) => f.name).join(', ');
    throw new FeedError(`unknown feed format (${describeHead(head)}); known formats: ${known}`, { file });
  }
  return format;
}

/**
 * Picks the format of one member, or takes the one named by `forced` (the CLI's --format),
 * and returns the member's stream rewound to its start.
 */
export async function detectFeed(member: FeedMember, formats: readonly FeedFormat[], forced?: string): Promise<DetectedFeed> {
  if (forced !== undefined) {
    const format = formats.find((f) => f.name === forced);
    if (!format) {
      member.stream.destroy();
      throw new FeedError(`unknown feed format ${JSON.stringify(forced)}; known formats: ${formats.map((f) => f.name).join(', ')}`, {
        file: member.file,
      });
    }
    return { format, stream: member.stream };
  }
  const { head, stream } = await peekStream(member.stream, HEAD_BYTES);
  try {
    return { format: pickFeedFormat(head, member.file, formats), stream };
  } catch (e) {
    stream.destroy();
    throw e;
  }
}

const MAGIC: Array<{ bytes: number[]; what: string }> = [
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed data (a .gz name would have it decompressed)' },
  { bytes: [0x42, 0x5a, 0x68], what: 'bzip2-compressed data (a .bz2 name would have it decompressed)' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed data (a .xz name would have it decompressed)' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a zip archive (a .zip name would have its members read)' },
];

/** What the start of a file looks like, in a few words, for "unknown format" errors. */
export function describeHead(head: Buffer): string {
  if (head.length === 0) return 'the file is empty';
  const magic = MAGIC.find((m) => m.bytes.every((b, i) => head[i] === b));
  if (magic) return magic.what;
  const sample = head.subarray(0, 512);
  const binary = sample.some((b) => b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d));
  if (binary) return `binary data starting ${[...head.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
  const text = head.toString('utf8').trimStart();
  const excerpt = JSON.stringify(text.slice(0, 80).replace(/\s+/g, ' '));
  if (text.startsWith('{')) return `a JSON object starting ${excerpt}`;
  if (text.startsWith('[')) return `a JSON array starting ${excerpt}`;
  if (text.startsWith('<')) {
    const root = /<([A-Za-z_][\w:.-]*)/.exec(text.replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<![^>]*>/g, ''));
    return root ? `XML with root element <${root[1]}>` : `XML-like text starting ${excerpt}`;
  }
  return `text starting ${excerpt}`;
}
