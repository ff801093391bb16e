import { applyMergePatch } from '../support/openshift-merge-patch';
import { DEFAULT_USER, startOpenShiftServer, type OpenShiftServer } from '../support/openshift-server';

const IMAGES = '/apis/image.openshift.io/v1/images';
const RUBY_DIGEST = 'sha256:47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d';

describe('RFC 7386 merge patch', () => {
  // The examples of RFC 7386 appendix A.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j patched with %j is %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });
});

describe('OpenShift conformance server', () => {
  let server: OpenShiftServer;
  beforeEach(async () => {
    server = await startOpenShiftServer();
  });
  afterEach(() => server.stop());

  const call = async (method: string, path: string, body?: unknown, contentType = 'application/merge-patch+json', token = server.token) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined && { 'Content-Type': contentType }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('lists the real image streams of every namespace, and of one', async () => {
    const all = await call('GET', '/apis/image.openshift.io/v1/imagestreams');
    expect(all.status).toBe(200);
    expect(all.body.kind).toBe('ImageStreamList');
    expect(all.body.apiVersion).toBe('image.openshift.io/v1');
    expect(Number(all.body.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(all.body.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual(['openshift/httpd', 'openshift/postgresql', 'test/origin-ruby-sample']);
    const test = await call('GET', '/apis/image.openshift.io/v1/namespaces/test/imagestreams');
    expect(test.body.items).toHaveLength(1);
    expect(test.body.items[0].status.tags[0].items[0].image).toBe(RUBY_DIGEST);
    const one = await call('GET', '/apis/image.openshift.io/v1/namespaces/openshift/imagestreams/httpd');
    expect(one.body.spec.tags.map((t: any) => t.name)).toContain('2.4-ubi9');
  });

  it('pages lists with limit and continue', async () => {
    const first = await call('GET', '/apis/image.openshift.io/v1/imagestreams?limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.metadata.continue).toEqual(expect.any(String));
    const second = await call('GET', `/apis/image.openshift.io/v1/imagestreams?limit=2&continue=${first.body.metadata.continue}`);
    expect(second.body.items.map((i: any) => i.metadata.name)).toEqual(['origin-ruby-sample']);
    expect(second.body.metadata.continue).toBeUndefined();
  });

  it('serves the Image the documented ImageStreamMapping created, named by its digest', async () => {
    const list = await call('GET', IMAGES);
    expect(list.body.kind).toBe('ImageList');
    expect(list.body.items.map((i: any) => i.metadata.name).sort()).toEqual([RUBY_DIGEST, 'test']);
    const image = await call('GET', `${IMAGES}/${RUBY_DIGEST}`);
    expect(image.body.dockerImageMetadata.Config.User).toBe('1001');
  });

  it('merge-patches annotations: nested objects merge, null deletes, resourceVersion increases', async () => {
    const before = await call('GET', `${IMAGES}/${RUBY_DIGEST}`);
    const rv0 = Number(before.body.metadata.resourceVersion);
    const set = await call('PATCH', `${IMAGES}/${RUBY_DIGEST}`, { metadata: { annotations: { a: '1', b: '2' } } });
    expect(set.status).toBe(200);
    expect(set.body.metadata.annotations).toEqual({ a: '1', b: '2' });
    expect(set.body.dockerImageMetadata.Config.User).toBe('1001');
    const rv1 = Number(set.body.metadata.resourceVersion);
    expect(rv1).toBeGreaterThan(rv0);
    const removed = await call('PATCH', `${IMAGES}/${RUBY_DIGEST}`, { metadata: { annotations: { a: null, c: '3' } } });
    expect(removed.body.metadata.annotations).toEqual({ b: '2', c: '3' });
    expect(Number(removed.body.metadata.resourceVersion)).toBeGreaterThan(rv1);
    expect(server.images.get(RUBY_DIGEST)?.metadata.annotations).toEqual({ b: '2', c: '3' });
  });

  it('answers 409 Conflict as the API server does when the patch carries a stale resourceVersion', async () => {
    const image = await call('GET', `${IMAGES}/${RUBY_DIGEST}`);
    server.updateImage(RUBY_DIGEST, { metadata: { annotations: { other: 'writer' } } });
    const stale = await call('PATCH', `${IMAGES}/${RUBY_DIGEST}`, { metadata: { resourceVersion: image.body.metadata.resourceVersion, annotations: { a: '1' } } });
    expect(stale.status).toBe(409);
    expect(stale.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `Operation cannot be fulfilled on images.image.openshift.io "${RUBY_DIGEST}": the object has been modified; please apply your changes to the latest version and try again`,
      reason: 'Conflict',
      details: { name: RUBY_DIGEST, group: 'image.openshift.io', kind: 'images' },
      code: 409,
    });
    expect(server.images.get(RUBY_DIGEST)?.metadata.annotations).toEqual({ other: 'writer' });
    const fresh = await call('GET', `${IMAGES}/${RUBY_DIGEST}`);
    const ok = await call('PATCH', `${IMAGES}/${RUBY_DIGEST}`, { metadata: { resourceVersion: fresh.body.metadata.resourceVersion, annotations: { a: '1' } } });
    expect(ok.status).toBe(200);
  });

  it('injects conflicts for the next patches only', async () => {
    server.failNextPatches(2);
    expect((await call('PATCH', `${IMAGES}/${RUBY_DIGEST}`, { metadata: { annotations: { a: '1' } } })).status).toBe(409);
    expect((await call('PATCH', `${IMAGES}/${RUBY_DIGEST}`, { metadata: { annotations: { a: '1' } } })).status).toBe(409);
    expect((await call('PATCH', `${IMAGES}/${RUBY_DIGEST}`, { metadata: { annotations: { a: '1' } } })).status).toBe(200);
  });

  it('refuses json-patch and strategic merge patch with 415, and non-string annotations with 400', async () => {
    const json = await call('PATCH', `${IMAGES}/${RUBY_DIGEST}`, [{ op: 'add', path: '/metadata/annotations', value: {} }], 'application/json-patch+json');
    expect(json.status).toBe(415);
    expect(json.body.reason).toBe('UnsupportedMediaType');
    const strategic = await call('PATCH', `${IMAGES}/${RUBY_DIGEST}`, { metadata: {} }, 'application/strategic-merge-patch+json');
    expect(strategic.status).toBe(415);
    const notString = await call('PATCH', `${IMAGES}/${RUBY_DIGEST}`, { metadata: { annotations: { a: true } } });
    expect(notString.status).toBe(400);
    expect(server.images.get(RUBY_DIGEST)?.metadata.annotations).toBeUndefined();
  });

  it('answers 403 with the real Forbidden Status, at the cluster scope and in a namespace', async () => {
    server.setForbidden('patch', 'images');
    const patch = await call('PATCH', `${IMAGES}/${RUBY_DIGEST}`, { metadata: { annotations: { a: '1' } } });
    expect(patch.status).toBe(403);
    expect(patch.body.reason).toBe('Forbidden');
    expect(patch.body.message).toBe(
      `images.image.openshift.io "${RUBY_DIGEST}" is forbidden: User "${DEFAULT_USER}" cannot patch resource "images" in API group "image.openshift.io" at the cluster scope`,
    );
    expect((await call('GET', `${IMAGES}/${RUBY_DIGEST}`)).status).toBe(200);

    server.setForbidden('list', 'imagestreams', 'test');
    const list = await call('GET', '/apis/image.openshift.io/v1/namespaces/test/imagestreams');
    expect(list.status).toBe(403);
    expect(list.body.message).toBe(
      `imagestreams.image.openshift.io is forbidden: User "${DEFAULT_USER}" cannot list resource "imagestreams" in API group "image.openshift.io" in the namespace "test"`,
    );
    expect((await call('GET', '/apis/image.openshift.io/v1/namespaces/openshift/imagestreams')).status).toBe(200);
  });

  it('answers 404 NotFound for unknown objects and 401 without the token', async () => {
    const missing = await call('GET', `${IMAGES}/sha256:${'0'.repeat(64)}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404, message: `images.image.openshift.io "sha256:${'0'.repeat(64)}" not found` });
    expect((await call('PATCH', `${IMAGES}/nope`, { metadata: {} })).status).toBe(404);
    const anonymous = await call('GET', IMAGES, undefined, undefined, 'wrong');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('records every request with method, path, content type, body and status', async () => {
    await call('PATCH', `${IMAGES}/${RUBY_DIGEST}`, { metadata: { annotations: { a: '1' } } });
    await call('GET', '/apis/image.openshift.io/v1/imagestreams?limit=1');
    expect(server.requests).toEqual([
      { method: 'PATCH', path: `${IMAGES}/${RUBY_DIGEST}`, query: {}, contentType: 'application/merge-patch+json', body: { metadata: { annotations: { a: '1' } } }, status: 200 },
      { method: 'GET', path: '/apis/image.openshift.io/v1/imagestreams', query: { limit: '1' }, contentType: undefined, body: undefined, status: 200 },
    ]);
  });

  it('adds objects a test brings, with kind, apiVersion and a fresh resourceVersion', async () => {
    server.addImageStream('team-a', { metadata: { name: 'app' }, status: { tags: [] } });
    server.addImage({ metadata: { name: `sha256:${'a'.repeat(64)}` }, dockerImageReference: 'x' });
    const stream = await call('GET', '/apis/image.openshift.io/v1/namespaces/team-a/imagestreams/app');
    expect(stream.body).toMatchObject({ kind: 'ImageStream', apiVersion: 'image.openshift.io/v1', metadata: { name: 'app', namespace: 'team-a' } });
    expect((await call('GET', `${IMAGES}/sha256:${'a'.repeat(64)}`)).body.kind).toBe('Image');
  });
});
