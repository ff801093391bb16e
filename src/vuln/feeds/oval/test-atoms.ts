import { FeedError } from '../../../errors';
import type { OvalDocument, OvalEntity, OvalItem, OvalTest } from './model';

/**
 * What one OVAL test asserts, in terms an image inventory can be checked against. Red Hat's
 * feeds use a small set of test shapes; each becomes one or more of these.
 */
export type Atom =
  /** The system is this major release of Red Hat Enterprise Linux. */
  | { kind: 'release'; major: string }
  /** The "Red Hat Enterprise Linux must be installed" guard: true only where it is NOT installed. */
  | { kind: 'not-release' }
  /** Package `name` is installed, older than `evrBefore` when given, of one of `arch` when given. */
  | { kind: 'package'; name: string; evrBefore?: string; arch?: string[] }
  | { kind: 'signature'; name: string; keyId: string }
  | { kind: 'module'; stream: string }
  /** The running or next-boot kernel is older than `before`. */
  | { kind: 'kernel'; before: string };

const RELEASE_PACKAGE = /^\^?redhat-release/;
const RELEASE_VERSION = /^\^(\d+)(?:\[\^\\d\]|\\b|\\\.|\.)/;
const MODULE_COMMENT = /^Module (\S+:\S+) is enabled$/;
const KERNEL_COMMENT = /^kernel earlier than (\S+) is (?:currently running|set to boot up on next boot)$/;
const MODULES_DIRECTORY = '/etc/dnf/modules.d/';
const ARCH_NAME = /^[A-Za-z0-9_]+$/;

/** Resolves and classifies tests, each once, however many definitions refer to it. */
export class TestAtoms {
  private readonly cache = new Map<string, Atom[]>();

  constructor(
    private readonly document: OvalDocument,
    private readonly file: string,
  ) {}

  of(testRef: string, where: string): Atom[] {
    let atoms = this.cache.get(testRef);
    if (!atoms) {
      const test = this.document.tests.get(testRef);
      if (!test) this.fail(`${where} refers to test ${testRef}, which the file does not define`);
      atoms = this.classify(test as OvalTest);
      this.cache.set(testRef, atoms);
    }
    return atoms;
  }

  private fail(message: string): never {
    throw new FeedError(`OVAL: ${message}`, { file: this.file });
  }

  private item(kind: 'object' | 'state', ref: string | undefined, test: OvalTest): OvalItem {
    if (!ref) this.fail(`test ${test.id} (${test.at}) has no ${kind}`);
    const found = (kind === 'object' ? this.document.objects : this.document.states).get(ref as string);
    if (!found) this.fail(`test ${test.id} (${test.at}) refers to ${kind} ${ref}, which the file does not define`);
    return found as OvalItem;
  }

  private unsupported(test: OvalTest, what: string): never {
    this.fail(`test ${test.id} (${test.at}, "${test.comment ?? ''}"): ${what} is not supported`);
  }

  private classify(test: OvalTest): Atom[] {
    switch (test.type) {
      case 'rpminfo_test':
        return this.rpminfo(test);
      case 'rpmverifyfile_test':
        return [this.releaseFile(test)];
      case 'uname_test':
        return [this.kernel(test)];
      case 'textfilecontent54_test':
        return [this.textFile(test)];
      default:
        return this.unsupported(test, `test type ${test.type}`);
    }
  }

  private objectName(object: OvalItem, test: OvalTest): OvalEntity {
    const name = object.entities.find((e) => e.name === 'name');
    if (!name || !name.value) this.unsupported(test, `object ${object.id} without a package name`);
    return name as OvalEntity;
  }

  /** `redhat-release…` name and `^8[^\d]` version patterns: the release an rpm-based test checks for. */
  private releaseOf(state: OvalItem, test: OvalTest): Atom {
    const name = state.entities.find((e) => e.name === 'name');
    if (name && !RELEASE_PACKAGE.test(name.value)) this.unsupported(test, `a release check on package ${name.value}`);
    if (test.check === 'none satisfy') return { kind: 'not-release' };
    const version = state.entities.find((e) => e.name === 'version');
    const major = version && version.operation === 'pattern match' ? RELEASE_VERSION.exec(version.value)?.[1] : undefined;
    if (!major) this.unsupported(test, `release version pattern ${version?.value ?? '(none)'}`);
    return { kind: 'release', major: major as string };
  }

  private releaseFile(test: OvalTest): Atom {
    const object = this.item('object', test.objectRef, test);
    const filepath = object.entities.find((e) => e.name === 'filepath')?.value;
    if (filepath !== '/etc/redhat-release') this.unsupported(test, `rpmverifyfile on ${filepath ?? '(no path)'}`);
    return this.releaseOf(this.item('state', test.stateRef, test), test);
  }

  private rpminfo(test: OvalTest): Atom[] {
    const object = this.item('object', test.objectRef, test);
    const name = this.objectName(object, test);
    if (name.operation && name.operation !== 'equals') this.unsupported(test, `package name operation "${name.operation}"`);
    if (test.checkExistence && test.checkExistence !== 'at_least_one_exists') {
      this.unsupported(test, `check_existence="${test.checkExistence}"`);
    }
    const stateRef = test.stateRef;
    if (stateRef === undefined) return [{ kind: 'package', name: name.value }];
    const state = this.item('state', stateRef, test);
    if (RELEASE_PACKAGE.test(name.value) && state.entities.some((e) => e.name === 'version')) {
      return [this.releaseOf(state, test)];
    }
    if (test.check && test.check !== 'at least one') this.unsupported(test, `check="${test.check}"`);

    const atoms: Atom[] = [];
    const pkg: Atom & { kind: 'package' } = { kind: 'package', name: name.value };
    let constrainsPackage = false;
    for (const entity of state.entities) {
      switch (entity.name) {
        case 'evr':
          if (entity.operation !== 'less than') this.unsupported(test, `evr operation "${entity.operation ?? 'equals'}"`);
          pkg.evrBefore = entity.value;
          constrainsPackage = true;
          break;
        case 'arch':
          pkg.arch = this.archList(entity, test);
          constrainsPackage = true;
          break;
        case 'signature_keyid':
          if (entity.operation && entity.operation !== 'equals') this.unsupported(test, `signature_keyid operation "${entity.operation}"`);
          if (!/^[0-9a-fA-F]{16}$/.test(entity.value)) this.unsupported(test, `signature key id "${entity.value}"`);
          atoms.push({ kind: 'signature', name: name.value, keyId: entity.value.toLowerCase() });
          break;
        default:
          this.unsupported(test, `state ${state.id} entity <${entity.name}>`);
      }
    }
    if (constrainsPackage || atoms.length === 0) atoms.unshift(pkg);
    return atoms;
  }

  /** `x86_64`, or a pattern `aarch64|ppc64le|x86_64` that is a plain list of names. */
  private archList(entity: OvalEntity, test: OvalTest): string[] {
    const names = entity.operation === 'pattern match' ? entity.value.split('|') : [entity.value];
    if ((entity.operation && entity.operation !== 'equals' && entity.operation !== 'pattern match') || !names.every((n) => ARCH_NAME.test(n))) {
      this.unsupported(test, `arch ${entity.operation ?? 'equals'} "${entity.value}"`);
    }
    return names;
  }

  private kernel(test: OvalTest): Atom {
    const before = KERNEL_COMMENT.exec(test.comment ?? '')?.[1];
    if (!before) this.unsupported(test, 'a kernel test whose comment names no version');
    return { kind: 'kernel', before: before as string };
  }

  private textFile(test: OvalTest): Atom {
    const object = this.item('object', test.objectRef, test);
    const filepath = object.entities.find((e) => e.name === 'filepath')?.value;
    const directory = object.entities.find((e) => e.name === 'path')?.value;
    const location = filepath ?? (directory === undefined ? undefined : `${directory.replace(/\/+$/, '')}/`);
    if (location?.startsWith(MODULES_DIRECTORY)) {
      const stream = MODULE_COMMENT.exec(test.comment ?? '')?.[1];
      if (!stream) this.unsupported(test, 'a module test whose comment names no module stream');
      return { kind: 'module', stream: stream as string };
    }
    if (KERNEL_COMMENT.test(test.comment ?? '')) return this.kernel(test);
    return this.unsupported(test, `a text file test on ${filepath ?? directory ?? '(no path)'}`);
  }
}
