import { ImageReferenceError } from '../errors';
import { digestProblem } from './digest';

/** `registry/repository[:tag][@digest]`, already normalized (docker.io defaults applied). */
export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

// Grammar of distribution/reference, which docker, podman and the registries agree on.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const MAX_NAME_LENGTH = 255;

export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB_ALIASES.has(registry.toLowerCase());
}

/** Why `repository` breaks the grammar, or undefined when it is valid. */
export function repositoryProblem(repository: string): string | undefined {
  if (repository === '') return 'repository is empty';
  for (const component of repository.split('/')) {
    if (PATH_COMPONENT.test(component)) continue;
    if (PATH_COMPONENT.test(component.toLowerCase())) return `repository "${repository}" must be lower-case`;
    return `repository component "${component}" must be lower-case letters and digits separated by ".", "_", "__" or "-"`;
  }
  return undefined;
}

/** Whether a first path component names a registry rather than a Docker Hub namespace. */
function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

export function parseReference(text: string): ImageReference {
  const fail = (why: string): never => {
    throw new ImageReferenceError(`invalid image reference "${text}": ${why}`, { image: text });
  };
  if (text === '') fail('it is empty');
  if (/\s/.test(text)) fail('it contains white space');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) fail('drop the URL scheme; write host[:port]/repository[:tag][@digest]');

  let name = text;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
    const problem = digestProblem(digest);
    if (problem) fail(`digest "${digest}" ${problem}`);
  }

  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG.test(tag)) fail(`tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }

  let registry = DOCKER_HUB;
  let repository = name;
  const slash = name.indexOf('/');
  if (slash > 0 && looksLikeRegistry(name.slice(0, slash))) {
    registry = name.slice(0, slash).toLowerCase();
    repository = name.slice(slash + 1);
    if (!DOMAIN.test(registry)) fail(`registry "${registry}" is not a host[:port]`);
    if (isDockerHub(registry)) registry = DOCKER_HUB;
  }
  if (registry === DOCKER_HUB && repository !== '' && !repository.includes('/')) repository = `library/${repository}`;

  const problem = repositoryProblem(repository);
  if (problem) fail(problem);
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) fail(`name is longer than ${MAX_NAME_LENGTH} characters`);

  const ref: ImageReference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  else if (digest === undefined) ref.tag = 'latest';
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
