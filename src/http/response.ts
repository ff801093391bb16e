import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { RegistryError } from '../errors';
import { displayUrl, transportError } from './transport-errors';

/**
 * A response whose headers have arrived. The body is a stream the caller owns: from here on
 * nothing is retried, and a connection lost mid-body surfaces as a typed error on `body`.
 */
export class HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable;
  private readonly distinct: Record<string, string[]>;
  private received = 0;

  constructor(
    private readonly message: IncomingMessage,
    /** The URL that produced this response, after redirects. */
    readonly url: URL,
    readonly method: string,
  ) {
    this.status = message.statusCode ?? 0;
    this.statusText = message.statusMessage ?? '';
    this.headers = message.headers;
    this.distinct = message.headersDistinct as Record<string, string[]>;
    const body = new PassThrough();
    // A body nobody is reading yet (or one being discarded) may fail: that must not crash the
    // process. Readers still get the error, from the stream's errored state.
    body.on('error', () => undefined);
    this.body = body;
    message.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
    });
    message.pipe(body);
    // Node reports a connection lost mid-body as a bare 'aborted': say how much arrived instead.
    message.on('error', (err) => this.fail(err.message === 'aborted' ? this.incompleteError() : err));
    message.on('close', () => {
      if (!message.complete && !body.destroyed) this.fail(this.incompleteError());
    });
    // A consumer that stops early must release the socket, not leave it paused forever.
    body.on('close', () => {
      if (!message.complete) message.destroy();
    });
  }

  /** First value of a header (names are case-insensitive). */
  header(name: string): string | undefined {
    return this.distinct[name.toLowerCase()]?.[0];
  }

  /** Every value of a header that may be sent more than once, e.g. `WWW-Authenticate`. */
  headerValues(name: string): string[] {
    return this.distinct[name.toLowerCase()] ?? [];
  }

  /** Whether every body byte has arrived from the server. */
  get complete(): boolean {
    return this.message.complete;
  }

  /** Ends the body with an error (a transport failure or a deadline) instead of a clean end. */
  fail(err: unknown): void {
    if (this.body.destroyed || this.message.complete) return;
    this.body.destroy(transportError(err, this.url));
    this.message.destroy();
  }

  /** Throws the body away so the connection can be reused or closed. */
  discard(): void {
    this.body.resume();
  }

  /** Reads the whole body, refusing more than `maxBytes` (JSON answers, never layers). */
  async buffer(maxBytes: number): Promise<Buffer> {
    const declared = Number(this.header('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      this.body.destroy();
      throw this.tooLarge(maxBytes);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of this.body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        this.body.destroy();
        throw this.tooLarge(maxBytes);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, total);
  }

  private tooLarge(maxBytes: number): RegistryError {
    return new RegistryError(
      'registry-http',
      `${this.method} ${displayUrl(this.url)}: response body is larger than the ${maxBytes}-byte limit`,
      { registry: this.url.host, url: displayUrl(this.url), status: this.status },
    );
  }

  private incompleteError(): RegistryError {
    const declared = this.header('content-length');
    const of = declared === undefined ? '' : ` of ${declared}`;
    return new RegistryError(
      'registry-unreachable',
      `connection to ${this.url.host} closed after ${this.received}${of} body bytes of ${displayUrl(this.url)}`,
      { registry: this.url.host, url: displayUrl(this.url), status: this.status },
    );
  }
}
