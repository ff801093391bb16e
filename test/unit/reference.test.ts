import { ImageReferenceError } from '../../src/errors';
import { formatReference, parseReference, type ImageReference } from '../../src/registry/reference';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  const valid: [string, ImageReference][] = [
    ['alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['alpine:3.19', { registry: 'docker.io', repository: 'library/alpine', tag: '3.19' }],
    ['user/app', { registry: 'docker.io', repository: 'user/app', tag: 'latest' }],
    ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['index.docker.io/library/alpine:edge', { registry: 'docker.io', repository: 'library/alpine', tag: 'edge' }],
    ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest' }],
    ['localhost:5000/team/app:1.0', { registry: 'localhost:5000', repository: 'team/app', tag: '1.0' }],
    [`127.0.0.1:5000/team/app@${D}`, { registry: '127.0.0.1:5000', repository: 'team/app', digest: D }],
    [`quay.io/org/app:v1@${D}`, { registry: 'quay.io', repository: 'org/app', tag: 'v1', digest: D }],
    ['registry.example.com:8443/a/b/c:tag_1.x-y', { registry: 'registry.example.com:8443', repository: 'a/b/c', tag: 'tag_1.x-y' }],
    ['Quay.IO/org/app', { registry: 'quay.io', repository: 'org/app', tag: 'latest' }],
    ['foo/bar:tag', { registry: 'docker.io', repository: 'foo/bar', tag: 'tag' }],
    ['[::1]:5000/app', { registry: '[::1]:5000', repository: 'app', tag: 'latest' }],
    ['my-reg.local/a__b/c.d/e--f', { registry: 'my-reg.local', repository: 'a__b/c.d/e--f', tag: 'latest' }],
    [`alpine@sha512:${'b'.repeat(128)}`, { registry: 'docker.io', repository: 'library/alpine', digest: `sha512:${'b'.repeat(128)}` }],
  ];

  it.each(valid)('parses %s', (text, expected) => {
    expect(parseReference(text)).toEqual(expected);
  });

  const invalid: [string, RegExp][] = [
    ['', /empty/],
    ['Alpine', /must be lower-case/],
    ['quay.io/Org/app', /repository "Org\/app" must be lower-case/],
    ['app:', /tag "" must match/],
    ['app:-bad', /tag "-bad"/],
    [`app:${'x'.repeat(129)}`, /tag/],
    ['app@sha256:abc', /sha256 needs 64 lower-case hex digits/],
    [`app@sha256:${'A'.repeat(64)}`, /lower-case hex/],
    [`app@md5:${'a'.repeat(32)}`, /unsupported algorithm "md5"/],
    ['app@latest', /must be algorithm:hex/],
    ['https://quay.io/app', /drop the URL scheme/],
    ['quay.io/app name', /white space/],
    ['quay.io/', /repository is empty/],
    ['quay.io//app', /repository component ""/],
    ['team/a..b', /repository component "a..b"/],
    ['team/-app', /repository component "-app"/],
    ['bad_host.io:5000/app', /registry "bad_host.io:5000" is not a host/],
    ['host.io:port/app', /registry "host.io:port"/],
    [`quay.io/${'a/'.repeat(130)}b`, /longer than 255/],
  ];

  it.each(invalid)('rejects %j', (text, why) => {
    let caught: unknown;
    try {
      parseReference(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ImageReferenceError);
    const err = caught as ImageReferenceError;
    expect(err.kind).toBe('reference');
    expect(err.context.image).toBe(text);
    expect(err.message).toMatch(why);
  });
});

describe('formatReference', () => {
  it('writes the canonical form', () => {
    expect(formatReference(parseReference('alpine'))).toBe('docker.io/library/alpine:latest');
    expect(formatReference(parseReference(`127.0.0.1:5000/team/app@${D}`))).toBe(`127.0.0.1:5000/team/app@${D}`);
    expect(formatReference(parseReference(`quay.io/org/app:v1@${D}`))).toBe(`quay.io/org/app:v1@${D}`);
  });

  it('round-trips through parseReference', () => {
    for (const text of ['localhost:5000/team/app:1.0', `quay.io/org/app:v1@${D}`, 'docker.io/user/app:x']) {
      expect(formatReference(parseReference(text))).toBe(text);
    }
  });
});
