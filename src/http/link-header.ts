/**
 * RFC 8288 `Link` header: the target of `rel="next"`, resolved against the URL the response
 * came from (registries send relative links such as `</v2/_catalog?last=x&n=100>`).
 */
export function nextLink(header: string | undefined, base: URL): URL | undefined {
  if (!header) return undefined;
  const entry = /<([^>]*)>((?:\s*;\s*[^;,]+)*)/g;
  for (let m = entry.exec(header); m; m = entry.exec(header)) {
    const params = m[2] ?? '';
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const relations = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (relations.includes('next')) return new URL(m[1] ?? '', base);
  }
  return undefined;
}
