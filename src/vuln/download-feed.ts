import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FeedError } from '../errors';
import { HttpClient } from '../http/http-client';

export interface DownloadedFeed {
  /** The local copy, named after the URL's last path segment so its format and compression show. */
  file: string;
  etag?: string;
  lastModified?: string;
  /** False when the server answered 304: the copy from the last download is still current. */
  changed: boolean;
}

/**
 * Fetches a feed URL into `dir` with If-None-Match / If-Modified-Since from the previous import,
 * so an unchanged feed costs one request and no import. The file is written beside its final
 * name and renamed only when complete: a cut download never replaces a good copy.
 */
export async function downloadFeed(
  http: HttpClient,
  url: string,
  dir: string,
  previous: { etag?: string; lastModified?: string } = {},
): Promise<DownloadedFeed> {
  const name = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? 'feed');
  const file = path.join(dir, name);
  fs.mkdirSync(dir, { recursive: true });
  const haveCopy = fs.existsSync(file);
  const res = await http.request(url, {
    headers: {
      'if-none-match': haveCopy ? previous.etag : undefined,
      'if-modified-since': haveCopy ? previous.lastModified : undefined,
    },
  });
  if (res.status === 304 && haveCopy) {
    res.body.resume();
    return { file, etag: previous.etag, lastModified: previous.lastModified, changed: false };
  }
  if (res.status !== 200) {
    res.body.resume();
    throw new FeedError(`download of ${url} answered ${res.status} ${res.statusText}`, { url });
  }
  const partial = `${file}.partial`;
  try {
    await pipeline(res.body, fs.createWriteStream(partial));
    fs.renameSync(partial, file);
  } catch (e) {
    fs.rmSync(partial, { force: true });
    throw new FeedError(`download of ${url} failed: ${(e as Error).message}`, { url }, { cause: e });
  }
  return { file, etag: res.header('etag'), lastModified: res.header('last-modified'), changed: true };
}
