import { isDockerHub } from '../registry/reference';
import type { ImageReference } from '../registry/types';

/**
 * An image pattern in the style of IBM's ClusterImagePolicy / ImagePolicy: `registry/repository`
 * with an optional `:tag`, where `*` matches any run of characters. `*` spans `/`, as IBM's
 * `docker.io/library/*` admits nested repositories too; writing `quay.io/org/*` therefore allows
 * everything below `quay.io/org/`. A pattern without a tag part allows every tag and digest; a
 * pattern with one (`quay.io/org/*:v*`) requires the image to carry a matching tag, so an image
 * known only by digest matches it only when the tag part is `*`.
 */
export interface ImagePattern {
  readonly text: string;
  matches(image: ImageReference): boolean;
}

// Patterns come from the config and are few; policies and ignore entries ask for them once per
// image per run, so each is compiled once.
const compiled = new Map<string, ImagePattern>();

export function parseImagePattern(text: string): ImagePattern {
  let pattern = compiled.get(text);
  if (!pattern) {
    pattern = compile(text);
    compiled.set(text, pattern);
  }
  return pattern;
}

function compile(text: string): ImagePattern {
  const { name, tag } = splitTag(text.trim());
  const nameRe = globToRegExp(normalizeName(name));
  const tagRe = tag === undefined ? undefined : globToRegExp(tag);
  return {
    text,
    matches(image) {
      if (!nameRe.test(`${image.registry}/${image.repository}`)) return false;
      if (!tagRe) return true;
      if (image.tag === undefined) return tag === '*';
      return tagRe.test(image.tag);
    },
  };
}

/** The tag part is after a `:` that follows the last `/`; a `:` before it is a registry port. */
function splitTag(text: string): { name: string; tag?: string } {
  const colon = text.lastIndexOf(':');
  if (colon > text.lastIndexOf('/')) return { name: text.slice(0, colon), tag: text.slice(colon + 1) };
  return { name: text };
}

/**
 * Applies docker's defaults so that `alpine` and `docker.io/library/alpine` name the same thing,
 * as the image references compared against them are already normalised. A first component with
 * a `*` is a registry glob (`*` alone allows everything), not a Docker Hub namespace.
 */
function normalizeName(name: string): string {
  const slash = name.indexOf('/');
  const first = slash < 0 ? name : name.slice(0, slash);
  if (first.includes('*') && (slash < 0 || /[.:]/.test(first) || first === '*')) return name;
  let registry = 'docker.io';
  let repository = name;
  if (slash > 0 && (/[.:]/.test(first) || first === 'localhost')) {
    registry = isDockerHub(first) ? 'docker.io' : first.toLowerCase();
    repository = name.slice(slash + 1);
  }
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  return `${registry}/${repository}`;
}

/** A glob where `*` matches any run of characters (`/` and newlines included) and everything else itself. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}
