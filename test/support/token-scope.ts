/** One `type:name:actions` entry of a token request's `scope` parameter. */
export interface ResourceScope {
  type: string;
  name: string;
  actions: string[];
}

/**
 * Parses `scope` query values. One value may hold several scopes separated by spaces, and a
 * name may itself contain `:` (a registry host with a port), so type and actions are taken
 * from the ends.
 */
export function parseScopes(values: readonly string[]): ResourceScope[] {
  const scopes: ResourceScope[] = [];
  for (const value of values) {
    for (const item of value.split(' ').filter(Boolean)) {
      const first = item.indexOf(':');
      const last = item.lastIndexOf(':');
      if (first <= 0 || last === first) throw new Error(`malformed scope "${item}"`);
      scopes.push({
        type: item.slice(0, first),
        name: item.slice(first + 1, last),
        actions: item.slice(last + 1).split(',').filter(Boolean),
      });
    }
  }
  return scopes;
}

const REPOSITORY_ACTIONS = new Set(['pull', 'push', 'delete', '*']);

/**
 * What the test user is granted for one requested scope: everything asked for on repositories
 * (except denied ones, which get nothing so the registry answers insufficient_scope), and `*`
 * on `registry:catalog`.
 */
export function grantScope(scope: ResourceScope, deniedRepositories: ReadonlySet<string>): ResourceScope {
  let actions: string[] = [];
  if (scope.type === 'repository' && !deniedRepositories.has(scope.name)) {
    actions = scope.actions.filter((a) => REPOSITORY_ACTIONS.has(a));
  } else if (scope.type === 'registry' && scope.name === 'catalog') {
    actions = scope.actions.filter((a) => a === '*');
  }
  return { type: scope.type, name: scope.name, actions };
}
