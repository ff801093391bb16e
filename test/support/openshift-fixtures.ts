import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

export const OPENSHIFT_FIXTURES = path.join(__dirname, '../fixtures/openshift');

/** A Kubernetes object as JSON: only the fields the server and the tests touch are typed. */
export interface KubeObject {
  kind?: string;
  apiVersion?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

export function readFixture(name: string): KubeObject {
  const text = fs.readFileSync(path.join(OPENSHIFT_FIXTURES, name), 'utf8');
  return (name.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as KubeObject;
}

/** The namespace the samples operator installs the official image streams into. */
export const SAMPLES_NAMESPACE = 'openshift';

/**
 * The real objects the server starts with: the documented `origin-ruby-sample` stream (namespace
 * `test`, one pushed image in `status.tags`), two official sample streams that were never imported
 * (spec only, no `status.tags`), the Image that the documented ImageStreamMapping creates (named
 * by its digest, as the API server names Images), and origin's `test` Image.
 */
export function defaultObjects(): { imageStreams: { namespace: string; object: KubeObject }[]; images: KubeObject[] } {
  const ruby = readFixture('imagestream-origin-ruby-sample.docs.yaml');
  const mapping = readFixture('imagestreammapping-origin-ruby-sample.docs.yaml') as KubeObject & { image: Record<string, unknown> & { dockerImageReference: string } };
  const digest = mapping.image.dockerImageReference.slice(mapping.image.dockerImageReference.indexOf('@') + 1);
  const mappedImage: KubeObject = { kind: 'Image', apiVersion: 'image.openshift.io/v1', ...mapping.image, metadata: { name: digest } };
  return {
    imageStreams: [
      { namespace: ruby.metadata.namespace ?? 'test', object: ruby },
      { namespace: SAMPLES_NAMESPACE, object: readFixture('library-httpd-rhel.imagestream.json') },
      { namespace: SAMPLES_NAMESPACE, object: readFixture('library-postgresql-rhel.imagestream.json') },
    ],
    images: [mappedImage, readFixture('origin-test-image.json')],
  };
}
