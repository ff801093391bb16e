import { FeedError } from '../../../errors';
import type { Advisory, AdvisoryConditions, AdvisoryState } from '../../advisory';
import { disjunctiveForm, type Conjunction } from './criteria-dnf';
import { definitionMetadata } from './definition-metadata';
import type { OvalDefinition } from './model';
import type { Atom, TestAtoms } from './test-atoms';

/** One package and everything else one conjunction requires for it. */
interface PackageTerm {
  major: string;
  name: string;
  evrBefore?: string;
  arch?: string[];
  signedBy?: string[];
  moduleStream?: string;
  kernelBefore?: string;
}

/**
 * The `<resolution state>` labels of Red Hat's unpatched CVE definitions. Affected, deferred and
 * still-investigated flaws are open; out-of-scope ones will not be fixed for that release.
 */
const RESOLUTIONS: Record<string, AdvisoryState> = {
  affected: 'unfixed',
  'fix deferred': 'unfixed',
  'under investigation': 'unfixed',
  'will not fix': 'will-not-fix',
  'out of support scope': 'will-not-fix',
  'not affected': 'not-affected',
};

function intersect(a: string[] | undefined, b: string[]): string[] {
  return a === undefined ? b : a.filter((x) => b.includes(x));
}

/** `0:7.61.1-11.el8` → `7.61.1-11.el8`: the epoch is written only when it is not zero, as rpm prints it. */
function displayEvr(evr: string): string {
  return evr.replace(/^0+:/, '');
}

/**
 * Folds the atoms of one conjunction into a package term, or undefined when the conjunction
 * describes no package on a Red Hat system: the "RHEL must be installed" guard branch (true only
 * on systems that are not RHEL, which imagewarden tells apart by namespace instead) or a
 * combination that can never hold (two releases, two different signing keys).
 */
function packageTerm(atoms: Atom[], definition: OvalDefinition, conjunction: Conjunction, file: string): PackageTerm | undefined {
  const fail = (message: string): never => {
    throw new FeedError(`OVAL: definition ${definition.id}: criteria at ${conjunction[0]?.at ?? definition.at}: ${message}`, { file });
  };
  if (atoms.some((a) => a.kind === 'not-release')) return undefined;
  const majors = new Set<string>();
  const names = new Set<string>();
  const modules = new Set<string>();
  let evrBefore: string | undefined;
  let arch: string[] | undefined;
  let keys: string[] | undefined;
  let kernelBefore: string | undefined;
  for (const atom of atoms) {
    switch (atom.kind) {
      case 'release':
        majors.add(atom.major);
        break;
      case 'package':
        names.add(atom.name);
        // Red Hat never bounds one package twice in one conjunction; two different bounds would
        // mean a feed shape this importer has not been checked against, so they are refused.
        if (atom.evrBefore !== undefined) {
          if (evrBefore !== undefined && evrBefore !== atom.evrBefore) fail(`package ${atom.name} has two bounds, ${evrBefore} and ${atom.evrBefore}`);
          evrBefore = atom.evrBefore;
        }
        if (atom.arch) arch = intersect(arch, atom.arch);
        break;
      case 'signature':
        names.add(atom.name);
        keys = intersect(keys, [atom.keyId]);
        break;
      case 'module':
        modules.add(atom.stream);
        break;
      case 'kernel':
        if (kernelBefore !== undefined && kernelBefore !== atom.before) fail(`two kernel bounds, ${kernelBefore} and ${atom.before}`);
        kernelBefore = atom.before;
        break;
    }
  }
  if (names.size === 0) return undefined;
  if (names.size > 1) fail(`tests name more than one package (${[...names].join(', ')})`);
  if (majors.size === 0) fail(`package ${[...names][0]} has no "Red Hat Enterprise Linux N is installed" criterion`);
  if (modules.size > 1) fail(`more than one module stream (${[...modules].join(', ')})`);
  if (majors.size > 1 || (keys !== undefined && keys.length === 0) || (arch !== undefined && arch.length === 0)) return undefined;

  const term: PackageTerm = { major: [...majors][0] as string, name: [...names][0] as string };
  if (evrBefore !== undefined) term.evrBefore = evrBefore;
  if (arch) term.arch = arch;
  if (keys) term.signedBy = keys;
  if (modules.size === 1) term.moduleStream = [...modules][0] as string;
  if (kernelBefore !== undefined) term.kernelBefore = displayEvr(kernelBefore);
  return term;
}

function stateOf(term: PackageTerm, definition: OvalDefinition, file: string): AdvisoryState {
  if (term.evrBefore !== undefined) return 'fixed';
  const resolution = definition.resolutions.find((r) => r.components.includes(term.name));
  if (!resolution) return 'unfixed';
  const state = RESOLUTIONS[resolution.state.trim().toLowerCase()];
  if (!state) {
    throw new FeedError(`OVAL: definition ${definition.id} (${definition.at}): unknown resolution state "${resolution.state}"`, { file });
  }
  return state;
}

/** A set condition (keys, architectures) merged over terms that are alternatives: undefined once one term accepts any. */
interface Alternatives {
  any: boolean;
  values: Set<string>;
}

function alternatives(values: string[] | undefined): Alternatives {
  return { any: values === undefined, values: new Set(values) };
}

function addAlternative(into: Alternatives, values: string[] | undefined): void {
  if (values === undefined) into.any = true;
  else for (const v of values) into.values.add(v);
}

function settled(alternative: Alternatives): string[] | undefined {
  return alternative.any ? undefined : [...alternative.values].sort();
}

/**
 * The advisories of one definition: one per package (and per distinct fix, module stream and
 * kernel bound) that some way of satisfying its criteria names. Ways that differ only in the
 * signing key or the architecture are alternatives and merge into one advisory accepting any of
 * them; a way without a key or architecture test accepts any.
 */
export function definitionAdvisories(definition: OvalDefinition, atoms: TestAtoms, file: string, feed: string): Advisory[] {
  if (!definition.criteria) {
    throw new FeedError(`OVAL: definition ${definition.id} (${definition.at}) has no criteria`, { file });
  }
  const merged = new Map<string, { term: PackageTerm; state: AdvisoryState; keys: Alternatives; arch: Alternatives }>();
  for (const conjunction of disjunctiveForm(definition.criteria, definition.id, file)) {
    const conjunctionAtoms = conjunction.flatMap((criterion) =>
      atoms.of(criterion.testRef, `definition ${definition.id}: criterion at ${criterion.at}`),
    );
    const term = packageTerm(conjunctionAtoms, definition, conjunction, file);
    if (!term) continue;
    const state = stateOf(term, definition, file);
    const key = JSON.stringify([term.major, term.name, state, term.evrBefore, term.moduleStream, term.kernelBefore]);
    const existing = merged.get(key);
    if (existing) {
      addAlternative(existing.keys, term.signedBy);
      addAlternative(existing.arch, term.arch);
    } else {
      merged.set(key, { term, state, keys: alternatives(term.signedBy), arch: alternatives(term.arch) });
    }
  }

  const metadata = definitionMetadata(definition, file);
  const advisories: Advisory[] = [];
  for (const { term, state, keys, arch } of merged.values()) {
    const conditions: AdvisoryConditions = {};
    const signedBy = settled(keys);
    const arches = settled(arch);
    if (signedBy) conditions.signedBy = signedBy;
    if (arches) conditions.arch = arches;
    if (term.moduleStream) conditions.moduleStream = term.moduleStream;
    if (term.kernelBefore) conditions.kernelBefore = term.kernelBefore;
    const advisory: Advisory = {
      ...metadata,
      aliases: [...metadata.aliases],
      references: [...metadata.references],
      namespace: `rhel:${term.major}`,
      ecosystem: 'rpm',
      package: term.name,
      state,
      feed,
    };
    if (metadata.cvss) advisory.cvss = metadata.cvss.map((c) => ({ ...c }));
    if (state === 'fixed') advisory.fixedVersion = displayEvr(term.evrBefore as string);
    if (Object.keys(conditions).length > 0) advisory.conditions = conditions;
    advisories.push(advisory);
  }
  return advisories;
}
