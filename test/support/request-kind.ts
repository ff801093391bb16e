/** How the fault proxy classifies a request, for its counters. */
export type RequestKind = 'manifestGet' | 'manifestHead' | 'blobGet' | 'blobHead' | 'token' | 'other';

const MANIFEST_PATH = /^\/v2\/.+\/manifests\/([^/]+)$/;
const BLOB_PATH = /^\/v2\/.+\/blobs\/([^/]+)$/;

/** The digest a `/v2/…/blobs/<digest>` or `/v2/…/manifests/<digest>` path names, if any. */
export function digestInPath(pathname: string): string | undefined {
  const reference = (MANIFEST_PATH.exec(pathname) ?? BLOB_PATH.exec(pathname))?.[1];
  return reference?.includes(':') ? decodeURIComponent(reference) : undefined;
}

export function classifyRequest(method: string, pathname: string, isTokenPath: boolean): RequestKind {
  if (isTokenPath) return 'token';
  if (MANIFEST_PATH.test(pathname)) {
    if (method === 'GET') return 'manifestGet';
    if (method === 'HEAD') return 'manifestHead';
  } else if (BLOB_PATH.test(pathname) && !pathname.includes('/blobs/uploads')) {
    if (method === 'GET') return 'blobGet';
    if (method === 'HEAD') return 'blobHead';
  }
  return 'other';
}
