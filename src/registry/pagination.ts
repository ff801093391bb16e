import { z } from 'zod';
import { RegistryError } from '../errors';
import { nextLink } from '../http/link-header';
import type { HttpResponse } from '../http/response';
import { errorContext, type RequestTarget } from './registry-errors';

const MAX_PAGE_BYTES = 4 * 1024 * 1024;

const catalogPage = z.object({ repositories: z.array(z.string()).nullish() });
const tagsPage = z.object({ tags: z.array(z.string()).nullish() });

/** One page of `_catalog` or `tags/list`; registries send `null` for an empty list. */
export async function readListPage(res: HttpResponse, field: 'repositories' | 'tags', target: RequestTarget): Promise<string[]> {
  const body = await res.buffer(MAX_PAGE_BYTES);
  const unusable = (why: string, cause?: unknown): RegistryError =>
    new RegistryError('registry-http', `${target.registry} sent an unusable ${field} page: ${why}`, errorContext(target, res.url), { cause });
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw unusable('not JSON', err);
  }
  const parsed = (field === 'repositories' ? catalogPage : tagsPage).safeParse(doc);
  if (!parsed.success) throw unusable(`"${field}" must be an array of strings`);
  const data = parsed.data as Record<string, string[] | null | undefined>;
  return data[field] ?? [];
}

/**
 * Follows `Link: <…>; rel="next"` pagination. A link to another origin is refused (the
 * Authorization header would go with it), and a link already visited ends in an error
 * instead of an endless loop.
 */
export class PageLinks {
  private readonly seen = new Set<string>();

  next(res: HttpResponse, target: RequestTarget): URL | undefined {
    this.seen.add(res.url.href);
    const next = nextLink(res.header('link'), res.url);
    if (!next) return undefined;
    if (next.origin !== res.url.origin) {
      throw new RegistryError('registry-http', `${target.registry} paginates to another host (${next.origin}); refusing to follow`, errorContext(target, res.url));
    }
    if (this.seen.has(next.href)) {
      throw new RegistryError('registry-http', `${target.registry} pagination loops back to ${next.pathname}${next.search}`, errorContext(target, res.url));
    }
    return next;
  }
}
