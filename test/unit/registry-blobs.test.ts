import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HttpClient } from '../../src/http/http-client';
import { RegistryClient } from '../../src/registry/client';
import type { Descriptor } from '../../src/registry/types';
import { failure, type Handler, router, sendJson, type TestServer, useServers } from './http-test-server';
import { ALPINE, basicHeader, useRegistryClients, sha256 } from './registry-test-fixtures';

const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';
const BLOB = randomBytes(1024 * 1024 + 17);
const BLOB_DESCRIPTOR: Descriptor = { mediaType: LAYER_TYPE, digest: sha256(BLOB), size: BLOB.length };

/** Consumes a stream the way the layer scanner will: through pipeline, hashing what arrives. */
async function drain(stream: NodeJS.ReadableStream): Promise<{ bytes: number; digest: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        hash.update(chunk);
        done();
      },
    }),
  );
  return { bytes, digest: `sha256:${hash.digest('hex')}` };
}

/** Sends `data` in 64 KiB writes with the given Content-Length (default: its length). */
function sendBytes(data: Buffer, contentLength = data.length): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': contentLength });
    for (let i = 0; i < data.length; i += 65536) res.write(data.subarray(i, i + 65536));
    res.end();
  };
}

/** Sends the first `first` bytes of `data`, and the rest only once `release` is called. */
function sendFirstBytesThenWait(data: Buffer, first: number): { handler: Handler; release: () => void } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const handler: Handler = (_req, res) => {
    res.writeHead(200, { 'content-length': data.length });
    res.write(data.subarray(0, first));
    void gate.then(() => res.end(data.subarray(first)));
  };
  return { handler, release: () => release() };
}

describe('blobs', () => {
  const clients = useRegistryClients();
  const serve = useServers();
  const registryWith = (routes: Record<string, Handler>): Promise<TestServer> =>
    serve(router({ 'GET /v2/': (_q, res) => sendJson(res, 200, {}), ...routes }));
  const blobPath = (digest: string): string => `GET /v2/team/app/blobs/${digest}`;

  it('streams a blob through and ends cleanly when it matches its descriptor', async () => {
    const registry = await registryWith({ [blobPath(BLOB_DESCRIPTOR.digest)]: sendBytes(BLOB) });
    const stream = await clients.make({ host: registry.host }).openBlob('team/app', BLOB_DESCRIPTOR);
    expect(await drain(stream)).toEqual({ bytes: BLOB.length, digest: BLOB_DESCRIPTOR.digest });
  });

  it('hands out bytes before the whole blob has been sent (it is never buffered)', async () => {
    const { handler, release } = sendFirstBytesThenWait(BLOB, 1000);
    const registry = await registryWith({ [blobPath(BLOB_DESCRIPTOR.digest)]: handler });
    const stream = await clients.make({ host: registry.host }).openBlob('team/app', BLOB_DESCRIPTOR);
    const [first] = (await once(stream, 'data')) as [Buffer];
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThanOrEqual(1000);
    stream.pause();
    release();
    const rest = await drain(stream);
    expect(first.length + rest.bytes).toBe(BLOB.length);
  });

  it('keeps a blob stream going while another client of the same host starts on the shared HTTP layer', async () => {
    const { handler, release } = sendFirstBytesThenWait(BLOB, 1000);
    const registry = await registryWith({ [blobPath(BLOB_DESCRIPTOR.digest)]: handler });
    const http = new HttpClient({ retries: 0 });
    try {
      const stream = await new RegistryClient({ host: registry.host }, { http }).openBlob('team/app', BLOB_DESCRIPTOR);
      await new RegistryClient({ host: registry.host }, { http }).ping();
      release();
      expect((await drain(stream)).digest).toBe(BLOB_DESCRIPTOR.digest);
    } finally {
      http.close();
    }
  });

  it('follows a redirect to a storage host without sending the registry credentials there', async () => {
    const storage = await serve(sendBytes(BLOB));
    const registry = await serve((req, res) => {
      if (req.headers.authorization !== basicHeader('u', 'p')) {
        return sendJson(res, 401, {}, { 'www-authenticate': 'Basic realm="r"' });
      }
      if (req.url === '/v2/') return sendJson(res, 200, {});
      res.writeHead(307, { location: `${storage.url}/bucket/blob?X-Amz-Signature=abc` });
      res.end();
    });
    const stream = await clients.make({ host: registry.host, username: 'u', password: 'p' }).openBlob('team/app', BLOB_DESCRIPTOR);
    expect((await drain(stream)).digest).toBe(BLOB_DESCRIPTOR.digest);
    expect(registry.requests.at(-1)?.headers.authorization).toBe(basicHeader('u', 'p'));
    expect(storage.requests).toHaveLength(1);
    expect(storage.requests[0]?.path).toBe('/bucket/blob?X-Amz-Signature=abc');
    expect(storage.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('errors with digest-mismatch instead of ending when the bytes differ', async () => {
    const tampered = Buffer.from(BLOB);
    tampered[500_000] = (tampered[500_000] ?? 0) ^ 0xff;
    const registry = await registryWith({ [blobPath(BLOB_DESCRIPTOR.digest)]: sendBytes(tampered) });
    const stream = await clients.make({ host: registry.host }).openBlob('team/app', BLOB_DESCRIPTOR);
    const err = await failure(drain(stream));
    expect(err.kind).toBe('digest-mismatch');
    expect(err.message).toBe(`blob digest mismatch: expected ${BLOB_DESCRIPTOR.digest}, got ${sha256(tampered)}`);
    expect(err.context).toMatchObject({ registry: registry.host, layer: BLOB_DESCRIPTOR.digest });
  });

  it('errors with blob-truncated when fewer bytes than the descriptor size arrive', async () => {
    const registry = await registryWith({ [blobPath(BLOB_DESCRIPTOR.digest)]: sendBytes(BLOB.subarray(0, 300_000)) });
    const stream = await clients.make({ host: registry.host }).openBlob('team/app', BLOB_DESCRIPTOR);
    const err = await failure(drain(stream));
    expect(err.kind).toBe('blob-truncated');
    expect(err.message).toBe(`blob ${BLOB_DESCRIPTOR.digest} is truncated: expected ${BLOB.length} bytes, received 300000`);
  });

  it('errors as soon as more bytes than the descriptor size arrive', async () => {
    const longer = Buffer.concat([BLOB, Buffer.from('extra')]);
    const registry = await registryWith({ [blobPath(BLOB_DESCRIPTOR.digest)]: sendBytes(longer) });
    const stream = await clients.make({ host: registry.host }).openBlob('team/app', BLOB_DESCRIPTOR);
    const err = await failure(drain(stream));
    expect(err.kind).toBe('digest-mismatch');
    expect(err.message).toContain(`more than ${BLOB.length} bytes arrived`);
  });

  it('errors when the connection drops mid-blob', async () => {
    const registry = await registryWith({
      [blobPath(BLOB_DESCRIPTOR.digest)]: (_req, res) => {
        res.writeHead(200, { 'content-length': BLOB.length });
        res.write(BLOB.subarray(0, 200_000), () => res.socket?.destroy());
      },
    });
    const stream = await clients.make({ host: registry.host }).openBlob('team/app', BLOB_DESCRIPTOR);
    const err = await failure(drain(stream));
    expect(err.kind).toBe('registry-unreachable');
    expect(err.message).toContain(`of ${BLOB.length} body bytes`);
  });

  it('reads a small config blob whole and verified', async () => {
    const config: Descriptor = { mediaType: 'application/vnd.docker.container.image.v1+json', digest: ALPINE.configDigest, size: ALPINE.config.length };
    const registry = await registryWith({
      [blobPath(ALPINE.configDigest)]: sendBytes(ALPINE.config),
      [blobPath(sha256('other'))]: sendBytes(ALPINE.config),
    });
    const client = clients.make({ host: registry.host });
    const body = await client.getBlob('team/app', config, 64 * 1024);
    expect(JSON.parse(body.toString()).architecture).toBe('amd64');
    const wrong = await failure(client.getBlob('team/app', { ...config, digest: sha256('other') }, 64 * 1024));
    expect(wrong.kind).toBe('digest-mismatch');
  });

  it('refuses a blob larger than the cap before downloading it', async () => {
    const registry = await registryWith({});
    const err = await failure(clients.make({ host: registry.host }).getBlob('team/app', BLOB_DESCRIPTOR, 4096));
    expect(err.kind).toBe('manifest');
    expect(err.message).toContain(`is ${BLOB.length} bytes, more than the 4096 allowed`);
    expect(registry.requests.filter((r) => r.path.includes('/blobs/'))).toHaveLength(0);
  });

  it('reports a missing blob as registry-not-found naming blob and repository', async () => {
    const registry = await registryWith({
      [blobPath(BLOB_DESCRIPTOR.digest)]: (_q, res) => sendJson(res, 404, { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }),
    });
    const err = await failure(clients.make({ host: registry.host }).openBlob('team/app', BLOB_DESCRIPTOR));
    expect(err.kind).toBe('registry-not-found');
    expect(err.message).toBe(`blob ${BLOB_DESCRIPTOR.digest} of team/app not found on ${registry.host} (404 Not Found BLOB_UNKNOWN: blob unknown to registry)`);
    expect(err.context).toMatchObject({ registry: registry.host, layer: BLOB_DESCRIPTOR.digest });
  });
});
