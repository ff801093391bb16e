import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { formatBytes } from '../config/size';
import { AnalyzerError, ImagewardenError, LayerError, messageOf, RegistryError, type ErrorKind } from '../errors';
import type { Analyzer, FileFindings } from './analyzers/analyzer';
import { createDecompressor, peek, sniffCompression, type Compression } from './decompress';
import { normalizeEntryPath, resolveLinkTarget, whiteoutOf } from './layer-path';

/** A wanted file as one layer carried it: what its analyzer found, or why it could not. */
export interface FileEntry {
  type: 'file';
  path: string;
  analyzer: string;
  findings?: FileFindings;
  error?: { kind: ErrorKind; message: string };
}

/** A wanted path that is a link; resolved against the merged image, not this layer alone. */
export interface LinkEntry {
  type: 'link';
  path: string;
  target: string;
}

export type LayerEntry = FileEntry | LinkEntry;

/**
 * What one layer contributes, as plain JSON: cached by layer digest and analyzer versions, so
 * an image made of known layers is indexed without downloading a byte of them.
 */
export interface LayerAnalysis {
  compression: Compression;
  entries: LayerEntry[];
  /** Paths this layer deletes from the layers below (`.wh.NAME`). */
  whiteouts: string[];
  /** Directories whose lower-layer contents this layer hides (`.wh..wh..opq`). */
  opaqueDirs: string[];
}

type TarEntryStream = tar.ExtractEvents['entry'][1];

export interface AnalyzeLayerOptions {
  analyzers: readonly Analyzer[];
  maxFileBytes: number;
  /** Told the size of every blob chunk read, for progress display. */
  onBlobBytes?: (bytes: number) => void;
}

/**
 * Reads a layer blob in one streaming pass: decompress, walk the tar, keep in memory only the
 * files an analyzer wants (each within the size cap), parse them, and record whiteouts. Nothing
 * is written to disk and memory does not grow with the layer's size.
 *
 * When the tar or its compression is broken, the rest of the blob is still read through the
 * caller's digest check: a blob that was damaged in transit is reported as a digest mismatch,
 * its root cause, rather than as a corrupt archive.
 */
export async function analyzeLayer(blob: Readable, options: AnalyzeLayerOptions): Promise<LayerAnalysis> {
  const entries = new Map<string, LayerEntry>();
  const whiteouts: string[] = [];
  const opaqueDirs: string[] = [];

  const blobDone = new Promise<void>((resolve, reject) => {
    blob.once('end', resolve);
    blob.once('error', reject);
  });
  blobDone.catch(() => undefined);

  let compression: Compression = 'none';
  let archiveError: unknown;
  try {
    const head = await peek(blob, 4);
    // Not even a tar end marker: reading on would report an image with nothing in it.
    if (head.length === 0) throw new LayerError('layer blob is empty: not a tar archive');
    compression = sniffCompression(head);
    const decompress = createDecompressor(compression);
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      // The extract stream reports every failure; an entry stream destroyed with it must not throw again.
      stream.on('error', () => undefined);
      try {
        onEntry(header, stream, next);
      } catch (e) {
        stream.resume();
        next(e instanceof Error ? e : new Error(String(e)));
      }
    });
    blob.once('error', (e) => decompress.destroy(e));
    // Attached only now: a 'data' listener before peek() would start the flow and lose the head.
    if (options.onBlobBytes) blob.on('data', (chunk: Buffer) => options.onBlobBytes!(chunk.length));
    blob.pipe(decompress);
    await new Promise<void>((resolve, reject) => {
      const fail = (e: unknown) => {
        decompress.destroy();
        extract.destroy();
        reject(e);
      };
      decompress.once('error', fail);
      extract.once('error', fail);
      extract.once('finish', resolve);
      decompress.pipe(extract);
    });
  } catch (e) {
    archiveError = e;
  }

  if (archiveError !== undefined) {
    blob.unpipe();
    blob.resume();
    await blobDone;
    throw toLayerError(archiveError, compression);
  }
  await blobDone;
  return { compression, entries: [...entries.values()], whiteouts, opaqueDirs };

  function onEntry(header: tar.Header, stream: TarEntryStream, next: (error?: Error | null) => void): void {
    const path = normalizeEntryPath(header.name);
    if (typeof path !== 'string') {
      throw new LayerError(`tar entry escapes the image root: ${JSON.stringify(header.name)}`, { file: header.name });
    }
    const drain = () => {
      stream.once('end', () => next());
      stream.resume();
    };
    const whiteout = whiteoutOf(path);
    if (whiteout) {
      if (whiteout.kind === 'opaque') opaqueDirs.push(whiteout.dir);
      else whiteouts.push(whiteout.path);
      drain();
      return;
    }
    const analyzer = options.analyzers.find((a) => a.wants(path));
    if (header.type === 'link' && header.linkname) {
      const target = normalizeEntryPath(header.linkname);
      if (typeof target !== 'string') {
        throw new LayerError(`tar hard link escapes the image root: ${JSON.stringify(header.linkname)}`, { file: path });
      }
      if (analyzer) setEntry({ type: 'link', path, target });
      drain();
      return;
    }
    if (header.type === 'symlink' && header.linkname) {
      if (analyzer) setEntry({ type: 'link', path, target: resolveLinkTarget(path, header.linkname) });
      drain();
      return;
    }
    if (!analyzer || (header.type !== 'file' && header.type !== 'contiguous-file')) {
      if (analyzer && header.type === 'directory') entries.delete(path);
      drain();
      return;
    }
    const size = header.size ?? 0;
    if (size > options.maxFileBytes) {
      setEntry({
        type: 'file',
        path,
        analyzer: analyzer.name,
        error: {
          kind: 'layer',
          message: `${path} is ${formatBytes(size)}, over the ${formatBytes(options.maxFileBytes)} cap (scan.maxFileBytes)`,
        },
      });
      drain();
      return;
    }
    const data = Buffer.allocUnsafe(size);
    let offset = 0;
    stream.on('data', (c: unknown) => {
      const chunk = c as Buffer;
      chunk.copy(data, offset);
      offset += chunk.length;
    });
    stream.once('end', () => {
      setEntry(parseFile(analyzer, path, offset === size ? data : data.subarray(0, offset)));
      next();
    });
  }

  function setEntry(entry: LayerEntry): void {
    // A later entry for the same path in the same tar replaces the earlier one, as tar extraction does.
    entries.delete(entry.path);
    entries.set(entry.path, entry);
  }
}

function parseFile(analyzer: Analyzer, path: string, data: Buffer): FileEntry {
  try {
    return { type: 'file', path, analyzer: analyzer.name, findings: analyzer.parse({ path, data }) };
  } catch (e) {
    const kind: ErrorKind = e instanceof ImagewardenError ? e.kind : 'analyzer';
    const message = e instanceof AnalyzerError || e instanceof ImagewardenError ? e.message : `${analyzer.name}: ${messageOf(e)}`;
    return { type: 'file', path, analyzer: analyzer.name, error: { kind, message } };
  }
}

function toLayerError(e: unknown, compression: Compression): ImagewardenError {
  if (e instanceof RegistryError || e instanceof LayerError) return e;
  const message = messageOf(e);
  if (compression === 'gzip' && isZlibError(e)) return new LayerError(`corrupt gzip stream: ${message}`, {}, { cause: e });
  if (compression === 'zstd' && /zstd/.test(message)) return new LayerError(`corrupt zstd stream: ${message}`, {}, { cause: e });
  return new LayerError(`corrupt tar archive${compression === 'none' ? '' : ` inside ${compression}`}: ${message}`, {}, { cause: e });
}

function isZlibError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
