import { Readable } from 'node:stream';

export interface PeekedStream {
  /** At least `bytes` bytes from the start, or the whole input if it is shorter. */
  head: Buffer;
  /** The same input from its first byte, head included. */
  stream: Readable;
}

/**
 * Reads the first bytes of a stream to look at them, and gives back a stream that still starts
 * at the beginning, so a format can be chosen without reading the input twice.
 */
export async function peekStream(input: Readable, bytes: number): Promise<PeekedStream> {
  const iterator: AsyncIterator<Buffer | string> = input[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    taken.push(chunk);
    size += chunk.length;
  }
  async function* replay(): AsyncGenerator<Buffer> {
    let finished = ended;
    try {
      yield* taken;
      while (!finished) {
        const next = await iterator.next();
        if (next.done) finished = true;
        else yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      }
    } finally {
      // A reader that stops early must still release the underlying input.
      if (!finished) await iterator.return?.();
    }
  }
  return { head: Buffer.concat(taken), stream: Readable.from(replay(), { objectMode: false }) };
}
