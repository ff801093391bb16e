import { parseImagePattern } from '../../src/policy/patterns';
import { parseReference } from '../../src/registry/reference';

const allows = (pattern: string, image: string) => parseImagePattern(pattern).matches(parseReference(image));

describe('image patterns', () => {
  it('normalises Docker Hub short names on both sides', () => {
    expect(allows('alpine', 'docker.io/library/alpine:3.18')).toBe(true);
    expect(allows('docker.io/library/alpine', 'alpine:3.18')).toBe(true);
    expect(allows('index.docker.io/library/*', 'busybox')).toBe(true);
    expect(allows('alpine', 'quay.io/library/alpine')).toBe(false);
  });

  it('lets * span / as IBM image policies do', () => {
    expect(allows('quay.io/org/*', 'quay.io/org/team/app:1')).toBe(true);
    expect(allows('quay.io/org/*', 'quay.io/other/app:1')).toBe(false);
    expect(allows('*', 'registry.example.test:5000/a/b:1')).toBe(true);
  });

  it('reads a colon before the last slash as a port, after it as a tag part', () => {
    expect(allows('127.0.0.1:5000/*', '127.0.0.1:5000/team/app:1')).toBe(true);
    expect(allows('127.0.0.1:5000/*', '127.0.0.1:5001/team/app:1')).toBe(false);
    expect(allows('quay.io/org/*:v*', 'quay.io/org/app:v2')).toBe(true);
    expect(allows('quay.io/org/*:v*', 'quay.io/org/app:latest')).toBe(false);
  });

  it('matches a digest-only image against a tag part only when the tag part is *', () => {
    const digest = 'sha256:' + 'a'.repeat(64);
    expect(allows('quay.io/org/*:*', `quay.io/org/app@${digest}`)).toBe(true);
    expect(allows('quay.io/org/*:v*', `quay.io/org/app@${digest}`)).toBe(false);
  });

  it('treats regular-expression characters literally', () => {
    expect(allows('quay.io/org/my.app', 'quay.io/org/myxapp')).toBe(false);
    expect(allows('quay.io/org/my.app', 'quay.io/org/my.app')).toBe(true);
  });
});
