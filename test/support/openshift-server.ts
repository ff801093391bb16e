import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { defaultObjects, type KubeObject } from './openshift-fixtures';
import { applyMergePatch } from './openshift-merge-patch';
import * as status from './openshift-status';

export type { KubeObject } from './openshift-fixtures';

const GROUP = 'image.openshift.io';
const API_VERSION = `${GROUP}/v1`;
const PREFIX = `/apis/${API_VERSION}`;
const MERGE_PATCH = 'application/merge-patch+json';
export const DEFAULT_USER = 'system:serviceaccount:imagewarden:imagewarden';

export interface RecordedRequest {
  method: string;
  /** Path without the query string, percent-decoded (clients send `sha256%3A…`). */
  path: string;
  query: Record<string, string>;
  contentType?: string;
  /** Parsed JSON when the body was JSON, the raw text otherwise, undefined when empty. */
  body?: unknown;
  /** The HTTP status the server answered. */
  status: number;
}

export interface OpenShiftServerOptions {
  /** Bearer token the server accepts; a random one by default. */
  token?: string;
  /** The user named in 403 messages. */
  user?: string;
  /** Start with the real objects of test/fixtures/openshift (default true). */
  fixtures?: boolean;
}

export interface OpenShiftServer {
  url: string;
  token: string;
  /** A kubeconfig for this server: bearer token, `insecure-skip-tls-verify`, its own context. */
  kubeconfigPath: string;
  requests: RecordedRequest[];
  /** Cluster-scoped Image objects by name. */
  images: Map<string, KubeObject>;
  /** Image streams by `namespace/name`. */
  imageStreams: Map<string, KubeObject>;
  addImageStream(namespace: string, object: KubeObject): KubeObject;
  addImage(object: KubeObject): KubeObject;
  /**
   * RBAC: `verb` on `resource` is denied, in one namespace or (no namespace) everywhere, for one
   * object (as a role limited by `resourceNames` denies the others) or (no name) for all.
   */
  setForbidden(verb: string, resource: string, namespace?: string, name?: string): void;
  clearForbidden(): void;
  /** The next `count` PATCHes of images answer `code` (409 by default) without applying. */
  failNextPatches(count: number, code?: number): void;
  /** The next `count` requests whose path starts with `pathPrefix` answer `code`. */
  failRequests(pathPrefix: string, code: number, count?: number): void;
  /** The next `count` requests whose path starts with `pathPrefix` get no answer at all: a hung API server. */
  hangRequests(pathPrefix: string, count?: number): void;
  /** Runs `action` just before the next `method` request is handled: a concurrent writer, for instance. */
  beforeNext(method: string, action: () => void): void;
  /** Writes an image as another client would (bumps its resourceVersion). */
  updateImage(name: string, patch: unknown): KubeObject;
  stop(): Promise<void>;
}

interface Route {
  resource: 'imagestreams' | 'images';
  namespace?: string;
  name?: string;
}

/**
 * An in-process stand-in for the parts of the OpenShift API imagewarden uses, answering on the
 * API's real paths with the API's real bodies: lists with `metadata.resourceVersion` and
 * `continue`, merge patches (RFC 7386) with optimistic concurrency, and `Status` objects for
 * 401, 403, 404, 409 and 415. Plain http on 127.0.0.1; the kubeconfig skips TLS verification
 * as a client of an http server must.
 */
/** A path fault that answers nothing. */
const HANG = 0;

export async function startOpenShiftServer(options: OpenShiftServerOptions = {}): Promise<OpenShiftServer> {
  const token = options.token ?? randomBytes(16).toString('hex');
  const user = options.user ?? DEFAULT_USER;
  const images = new Map<string, KubeObject>();
  const imageStreams = new Map<string, KubeObject>();
  const requests: RecordedRequest[] = [];
  const forbidden = new Set<string>();
  const patchFaults: number[] = [];
  const pathFaults: { prefix: string; code: number; left: number }[] = [];
  const hooks: { method: string; action: () => void }[] = [];
  let resourceVersion = 1000;

  const stamp = (object: KubeObject): KubeObject => {
    resourceVersion++;
    object.metadata.resourceVersion = String(resourceVersion);
    return object;
  };
  const addImageStream = (namespace: string, object: KubeObject): KubeObject => {
    const copy = structuredClone(object);
    copy.kind = 'ImageStream';
    copy.apiVersion = API_VERSION;
    copy.metadata.namespace = namespace;
    imageStreams.set(`${namespace}/${copy.metadata.name}`, stamp(copy));
    return copy;
  };
  const addImage = (object: KubeObject): KubeObject => {
    const copy = structuredClone(object);
    copy.kind = 'Image';
    copy.apiVersion = API_VERSION;
    delete copy.metadata.namespace;
    images.set(copy.metadata.name, stamp(copy));
    return copy;
  };
  if (options.fixtures ?? true) {
    const objects = defaultObjects();
    for (const s of objects.imageStreams) addImageStream(s.namespace, s.object);
    for (const i of objects.images) addImage(i);
  }

  const isForbidden = (verb: string, resource: string, namespace?: string, name?: string): boolean =>
    ['*', namespace].some((ns) => ns !== undefined && ['*', name].some((n) => n !== undefined && forbidden.has(`${verb}|${resource}|${ns}|${n}`)));

  const list = (kind: string, items: KubeObject[], query: Record<string, string>): unknown => {
    const sorted = [...items].sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
    const offset = query.continue ? Number(Buffer.from(query.continue, 'base64url').toString()) : 0;
    const limit = query.limit ? Number(query.limit) : sorted.length;
    const page = sorted.slice(offset, offset + limit);
    const next = offset + limit < sorted.length ? Buffer.from(String(offset + limit)).toString('base64url') : undefined;
    return { kind, apiVersion: API_VERSION, metadata: { resourceVersion: String(resourceVersion), ...(next && { continue: next }) }, items: page };
  };

  const handle = (method: string, route: Route, query: Record<string, string>, contentType: string | undefined, body: unknown): { code: number; body: unknown } => {
    const target: status.ResourceTarget = { group: GROUP, resource: route.resource, name: route.name, namespace: route.namespace };
    const verb = method === 'PATCH' ? 'patch' : route.name === undefined ? 'list' : 'get';
    if (isForbidden(verb, route.resource, route.namespace, route.name)) return { code: 403, body: status.forbidden(user, verb, target) };

    if (method === 'GET' && route.resource === 'imagestreams') {
      if (route.name === undefined) {
        const items = [...imageStreams.values()].filter((s) => route.namespace === undefined || s.metadata.namespace === route.namespace);
        return { code: 200, body: list('ImageStreamList', items, query) };
      }
      const stream = imageStreams.get(`${route.namespace}/${route.name}`);
      return stream ? { code: 200, body: stream } : { code: 404, body: status.notFound(target) };
    }
    if (method === 'GET' && route.resource === 'images') {
      if (route.name === undefined) return { code: 200, body: list('ImageList', [...images.values()], query) };
      const image = images.get(route.name);
      return image ? { code: 200, body: image } : { code: 404, body: status.notFound(target) };
    }
    if (method === 'PATCH' && route.resource === 'images' && route.name !== undefined) {
      const type = contentType?.split(';')[0].trim().toLowerCase();
      if (type !== MERGE_PATCH) return { code: 415, body: status.unsupportedMediaType(type ?? '', [MERGE_PATCH]) };
      const fault = patchFaults.shift();
      if (fault !== undefined) return { code: fault, body: status.injected(fault, target) };
      const image = images.get(route.name);
      if (!image) return { code: 404, body: status.notFound(target) };
      return patchImage(image, body, target);
    }
    return { code: 405, body: status.methodNotAllowed() };
  };

  const patchImage = (image: KubeObject, body: unknown, target: status.ResourceTarget): { code: number; body: unknown } => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { code: 400, body: status.badRequest('the patch must be a JSON object') };
    const wanted = (body as { metadata?: { resourceVersion?: unknown; name?: unknown } }).metadata;
    if (wanted?.resourceVersion !== undefined && wanted.resourceVersion !== image.metadata.resourceVersion) return { code: 409, body: status.conflict(target) };
    const patched = applyMergePatch(image, body) as KubeObject;
    if (patched.metadata?.name !== image.metadata.name) return { code: 400, body: status.badRequest(`metadata.name: Invalid value: "${String(wanted?.name)}": field is immutable`) };
    const annotations = patched.metadata.annotations ?? {};
    for (const [key, value] of Object.entries(annotations)) {
      if (typeof value !== 'string') return { code: 400, body: status.badRequest(`metadata.annotations.${key}: Invalid value: expected a string`) };
    }
    images.set(image.metadata.name, stamp(patched));
    return { code: 200, body: patched };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const query = Object.fromEntries(url.searchParams);
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text === '' ? undefined : text;
      try {
        if (text !== '') body = JSON.parse(text);
      } catch {
        // Recorded as the raw text; the handler refuses it as a bad patch.
      }
      const answer = (code: number, payload: unknown): void => {
        requests.push({ method: req.method ?? '', path: decodeURIComponent(url.pathname), query, contentType: req.headers['content-type'], body, status: code });
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.headers.authorization !== `Bearer ${token}`) return answer(401, status.unauthorized());
      const hook = hooks.findIndex((h) => h.method === req.method);
      if (hook >= 0) hooks.splice(hook, 1)[0].action();
      const route = parseRoute(url.pathname);
      if (!route) return answer(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 });
      const fault = pathFaults.find((f) => f.left > 0 && url.pathname.startsWith(f.prefix));
      if (fault) {
        fault.left--;
        if (fault.code === HANG) return;
        return answer(fault.code, status.injected(fault.code, { group: GROUP, resource: route.resource, name: route.name, namespace: route.namespace }));
      }
      const result = handle(req.method ?? 'GET', route, query, req.headers['content-type'], body);
      answer(result.code, result.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the OpenShift test server has no TCP address');
  const url = `http://127.0.0.1:${address.port}`;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imagewarden-openshift-'));
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfigPath, kubeconfig(url, token, user));

  return {
    url,
    token,
    kubeconfigPath,
    requests,
    images,
    imageStreams,
    addImageStream,
    addImage,
    setForbidden: (verb, resource, namespace, name) => forbidden.add(`${verb}|${resource}|${namespace ?? '*'}|${name ?? '*'}`),
    clearForbidden: () => forbidden.clear(),
    failNextPatches: (count, code = 409) => {
      for (let i = 0; i < count; i++) patchFaults.push(code);
    },
    failRequests: (prefix, code, count = 1) => pathFaults.push({ prefix, code, left: count }),
    hangRequests: (prefix, count = 1) => pathFaults.push({ prefix, code: HANG, left: count }),
    beforeNext: (method, action) => hooks.push({ method, action }),
    updateImage: (name, patch) => {
      const image = images.get(name);
      if (!image) throw new Error(`no image ${name} on the test server`);
      const patched = stamp(applyMergePatch(image, patch) as KubeObject);
      images.set(name, patched);
      return patched;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function parseRoute(pathname: string): Route | undefined {
  if (!pathname.startsWith(`${PREFIX}/`)) return undefined;
  const parts = pathname.slice(PREFIX.length + 1).split('/').map(decodeURIComponent);
  if (parts[0] === 'images' && parts.length <= 2) return { resource: 'images', name: parts[1] };
  if (parts[0] === 'imagestreams' && parts.length === 1) return { resource: 'imagestreams' };
  if (parts[0] === 'namespaces' && parts[2] === 'imagestreams' && parts.length <= 4) return { resource: 'imagestreams', namespace: parts[1], name: parts[3] };
  return undefined;
}

function kubeconfig(server: string, token: string, user: string): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test-cluster', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'test', context: { cluster: 'test-cluster', user } }],
    'current-context': 'test',
  });
}
