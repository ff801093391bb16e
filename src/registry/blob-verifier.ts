import { Transform, type TransformCallback } from 'node:stream';
import type { Hash } from 'node:crypto';
import { RegistryError, type ErrorContext } from '../errors';
import { hasherFor, parseDigest } from './digest';
import type { Descriptor } from './types';

/**
 * Passes blob bytes through while hashing and counting them. Instead of ending, it errors
 * when the bytes do not match the descriptor, so a consumer awaiting `stream.pipeline` can
 * never take a short or tampered layer for a good one. Nothing is buffered.
 */
export class BlobVerifier extends Transform {
  private readonly hash: Hash;
  private received = 0;

  constructor(
    private readonly descriptor: Descriptor,
    private readonly context: ErrorContext,
  ) {
    super();
    const digest = parseDigest(descriptor.digest);
    if (!digest) throw new RegistryError('manifest', `blob descriptor has an invalid digest "${descriptor.digest}"`, context);
    this.hash = hasherFor(digest.algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.descriptor.size) {
      done(
        new RegistryError(
          'digest-mismatch',
          `blob ${this.descriptor.digest} is longer than its descriptor says: more than ${this.descriptor.size} bytes arrived`,
          this.context,
        ),
      );
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.received < this.descriptor.size) {
      done(
        new RegistryError(
          'blob-truncated',
          `blob ${this.descriptor.digest} is truncated: expected ${this.descriptor.size} bytes, received ${this.received}`,
          this.context,
        ),
      );
      return;
    }
    const algorithm = this.descriptor.digest.slice(0, this.descriptor.digest.indexOf(':'));
    const actual = `${algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.descriptor.digest) {
      done(new RegistryError('digest-mismatch', `blob digest mismatch: expected ${this.descriptor.digest}, got ${actual}`, this.context));
      return;
    }
    done();
  }
}
