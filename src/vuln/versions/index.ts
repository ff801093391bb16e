import type { Ecosystem } from '../../inventory/types';
import { apkScheme } from './apk';
import { dpkgScheme } from './dpkg';
import { rpmScheme } from './rpm';
import type { VersionScheme } from './scheme';

export type { VersionScheme } from './scheme';

/** The comparator for the versions of one package ecosystem. */
export function schemeFor(ecosystem: Ecosystem): VersionScheme {
  switch (ecosystem) {
    case 'dpkg':
      return dpkgScheme;
    case 'rpm':
      return rpmScheme;
    case 'apk':
      return apkScheme;
  }
}
