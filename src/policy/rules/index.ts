import type { PolicyRule } from '../rule';
import { allowedRegistriesRule } from './allowed-registries';
import { imageAgeRule } from './image-age';
import { latestTagRule } from './latest-tag';
import { packageManagerRule } from './package-manager';
import { requiredLabelsRule } from './required-labels';
import { rootUserRule } from './root-user';
import { vulnerabilitiesRule } from './vulnerabilities';

/** Every rule a policy can name, by its `rule` key. */
export const RULES: ReadonlyMap<string, PolicyRule<unknown>> = new Map(
  [vulnerabilitiesRule, latestTagRule, packageManagerRule, rootUserRule, imageAgeRule, requiredLabelsRule, allowedRegistriesRule].map(
    (r): [string, PolicyRule<unknown>] => [r.rule, r],
  ),
);
