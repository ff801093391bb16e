import { FeedError } from '../../../errors';
import type { CriteriaNode, CriterionNode } from './model';

/** Criteria that must all hold together: one way for a definition to be true. */
export type Conjunction = CriterionNode[];

/**
 * Red Hat's trees are shallow (release AND (kernel OR …) AND (package-and-signature OR …)), so
 * their expansion stays small; a tree that would expand beyond this is refused rather than
 * allowed to exhaust memory.
 */
const MAX_CONJUNCTIONS = 20000;

/**
 * Rewrites a criteria tree as an OR of ANDs of criteria (disjunctive normal form): the definition
 * is true exactly when one of the returned conjunctions is. Each conjunction then describes one
 * package and everything else that must hold for it.
 */
export function disjunctiveForm(root: CriteriaNode, definitionId: string, file: string): Conjunction[] {
  const expand = (node: CriteriaNode | CriterionNode): Conjunction[] => {
    if (node.kind === 'criterion') return [[node]];
    if (node.operator === 'OR') return node.children.flatMap(expand);
    let product: Conjunction[] = [[]];
    for (const child of node.children) {
      const options = expand(child);
      if (product.length * options.length > MAX_CONJUNCTIONS) {
        throw new FeedError(
          `OVAL: definition ${definitionId}: criteria at ${node.at} expand to more than ${MAX_CONJUNCTIONS} combinations`,
          { file },
        );
      }
      product = product.flatMap((left) => options.map((right) => [...left, ...right]));
    }
    return product;
  };
  return expand(root);
}
