import { Readable } from 'node:stream';
import { FeedError } from '../../src/errors';
import type { Advisory } from '../../src/vuln/advisory';
import type { FeedContext, FeedFormat } from '../../src/vuln/feeds/feed-format';

/** Everything one format reads out of `content`, fed as a single chunk. */
export async function parseFeed(format: FeedFormat, content: Buffer | string, context: FeedContext): Promise<Advisory[]> {
  const out: Advisory[] = [];
  for await (const a of format.parse(Readable.from([Buffer.from(content)]), context)) out.push(a);
  return out;
}

/** The FeedError `run` rejects with, checked to name `file` when given; fails the test otherwise. */
export async function feedError(run: () => Promise<unknown>, file?: string): Promise<FeedError> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(FeedError);
    if (file !== undefined) expect((e as FeedError).context.file).toBe(file);
    return e as FeedError;
  }
  throw new Error('expected a FeedError');
}
