/**
 * Typed errors. Every failure that can reach a user carries the context needed to act on it
 * (which image, layer, file, registry or config key), so "registry down" or "garbage rpmdb"
 * can never be mistaken for "no packages".
 */
export interface ErrorContext {
  image?: string;
  /** The manifest digest, once resolved: what a verdict on a failed scan is stored under. */
  digest?: string;
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

export type ErrorKind = RegistryErrorKind | 'config' | 'reference' | 'layer' | 'analyzer' | 'feed' | 'store' | 'mail' | 'openshift' | 'job' | 'report';

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
    // `message`, `stack` and `cause` are not enumerable: copied by name, or the chain is lost.
    Object.assign(copy, this, { context: merged, message: this.message, stack: this.stack, ...(this.cause !== undefined && { cause: this.cause }) });
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

/** Where an SMTP exchange failed: reaching the server (TCP, TLS, greeting), logging in, or handing over the message. */
export type MailStage = 'connect' | 'auth' | 'send';

/**
 * The report could not be mailed. Names the server and the stage, keeps the server's reply, and
 * says whether trying again later can succeed (a refused connection or a 4xx reply) or not (a 5xx
 * rejection, bad credentials, a certificate that does not verify).
 */
export class MailError extends ImagewardenError {
  readonly server: string;
  readonly stage: MailStage;
  readonly reply?: string;
  readonly responseCode?: number;
  readonly transient: boolean;

  constructor(
    message: string,
    details: { server: string; stage: MailStage; transient: boolean; reply?: string; responseCode?: number },
    options?: { cause?: unknown },
  ) {
    super('mail', message, {}, options);
    this.server = details.server;
    this.stage = details.stage;
    this.transient = details.transient;
    this.reply = details.reply;
    this.responseCode = details.responseCode;
  }
}

/**
 * The OpenShift (Kubernetes) API refused or failed a request. `status` and `reason` come from the
 * API's Status object (403 Forbidden, 404 NotFound, 409 Conflict…); absent when it was never reached.
 */
export class OpenShiftError extends ImagewardenError {
  readonly status?: number;
  readonly reason?: string;
  readonly namespace?: string;
  constructor(
    message: string,
    context: ErrorContext & { status?: number; reason?: string; namespace?: string } = {},
    options?: { cause?: unknown },
  ) {
    const { status, reason, namespace, ...rest } = context;
    super('openshift', message, rest, options);
    this.status = status;
    this.reason = reason;
    this.namespace = namespace;
  }
}

/** A job that could not be run: e.g. another run of it is still in progress. */
export class JobError extends ImagewardenError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('job', message, context, options);
  }
}

/** A report that cannot be rendered (template) or archived (file system). */
export class ReportError extends ImagewardenError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('report', message, context, options);
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
