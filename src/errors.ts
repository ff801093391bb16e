/**
 * Typed errors. Every failure that can reach a user carries the context needed to act on it
 * (which image, layer, file, registry or config key), so "registry down" or "garbage rpmdb"
 * can never be mistaken for "no packages".
 */
export interface ErrorContext {
  image?: string;
  registry?: string;
  layer?: string;
  file?: string;
  key?: string;
  url?: string;
}

/** What went wrong talking to a registry, or with what it sent. */
export type RegistryErrorKind =
  | 'registry-unreachable'
  | 'registry-timeout'
  | 'registry-auth'
  | 'registry-denied'
  | 'registry-not-found'
  | 'registry-http'
  | 'manifest'
  | 'digest-mismatch'
  | 'blob-truncated';

export type ErrorKind = RegistryErrorKind | 'config' | 'reference' | 'layer' | 'analyzer' | 'feed' | 'store';

export class ImagewardenError extends Error {
  readonly kind: ErrorKind;
  readonly context: ErrorContext;

  constructor(kind: ErrorKind, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.kind = kind;
    this.context = { ...context };
  }

  /** Returns a copy of this error with more context; fields already set are kept. */
  withContext(extra: ErrorContext): this {
    const merged = { ...extra, ...this.context };
    const copy = Object.create(Object.getPrototypeOf(this)) as this;
    Object.assign(copy, this, { context: merged, message: this.message, stack: this.stack });
    return copy;
  }

  /** One line for humans: the message followed by where it happened. */
  describe(): string {
    const where: string[] = [];
    const c = this.context;
    if (c.image) where.push(`image ${c.image}`);
    if (c.layer) where.push(`layer ${c.layer}`);
    if (c.file) where.push(`file ${c.file}`);
    if (c.registry && !c.image) where.push(`registry ${c.registry}`);
    if (c.key) where.push(`key ${c.key}`);
    return where.length ? `${this.message} (${where.join(', ')})` : this.message;
  }
}

export class ConfigError extends ImagewardenError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('config', message, context, options);
  }
}

export class ImageReferenceError extends ImagewardenError {
  constructor(message: string, context: ErrorContext = {}) {
    super('reference', message, context);
  }
}

/** A registry said no, could not be reached, or answered something unusable. */
export class RegistryError extends ImagewardenError {
  readonly status?: number;
  constructor(
    kind: RegistryErrorKind,
    message: string,
    context: ErrorContext & { status?: number } = {},
    options?: { cause?: unknown },
  ) {
    const { status, ...rest } = context;
    super(kind, message, rest, options);
    this.status = status;
  }
}

/** A layer blob could not be read: bad compression, bad tar, hostile paths, size caps. */
export class LayerError extends ImagewardenError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('layer', message, context, options);
  }
}

/** A package database or release file that is present but cannot be parsed. */
export class AnalyzerError extends ImagewardenError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('analyzer', message, context, options);
  }
}

/** A feed file that cannot be read: unknown format, malformed or truncated content. */
export class FeedError extends ImagewardenError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('feed', message, context, options);
  }
}

export class StoreError extends ImagewardenError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('store', message, context, options);
  }
}

export function isImagewardenError(e: unknown): e is ImagewardenError {
  return e instanceof ImagewardenError;
}

/** Message of any thrown value, for wrapping foreign errors. */
export function messageOf(e: unknown): string {
  if (e instanceof ImagewardenError) return e.describe();
  if (e instanceof Error) return e.message;
  return String(e);
}
