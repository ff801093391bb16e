import { schemeFor } from '../../src/vuln/versions';
import { apkScheme } from '../../src/vuln/versions/apk';
import { dpkgScheme } from '../../src/vuln/versions/dpkg';
import { rpmScheme } from '../../src/vuln/versions/rpm';

describe('schemeFor', () => {
  it.each([
    ['dpkg', dpkgScheme],
    ['rpm', rpmScheme],
    ['apk', apkScheme],
  ] as const)('gives the %s scheme for the %s ecosystem', (ecosystem, scheme) => {
    expect(schemeFor(ecosystem)).toBe(scheme);
    expect(schemeFor(ecosystem).name).toBe(ecosystem);
  });

  // Pairs on which the package managers disagree, so a mixed-up lookup cannot pass.
  it('orders by each ecosystem’s own rules', () => {
    // dpkg sorts letters before other characters; rpm ignores the separator and counts the extra letter.
    expect(schemeFor('dpkg').compare('1.0a', '1.0+')).toBe(-1);
    expect(schemeFor('rpm').compare('1.0a', '1.0+')).toBe(1);
    // Only apk knows _rc as a pre-release.
    expect(schemeFor('apk').compare('1.0_rc1', '1.0')).toBe(-1);
    expect(schemeFor('rpm').compare('1.0_rc1', '1.0')).toBe(1);
    expect(schemeFor('dpkg').compare('1.0_rc1', '1.0')).toBe(1);
  });
});
