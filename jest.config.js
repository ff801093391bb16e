/**
 * Tests run from TypeScript through swc; `npm test` runs `tsc` first, for the type check and for
 * the compiled CLI that the end-to-end tests spawn. Unit tests need nothing running; the
 * integration project starts real registries once (global setup) for all its files.
 */
const transform = { '^.+\\.(t|j)s$': ['@swc/jest'] };
// These ship ES modules only; Node (>= 20.19) loads them from CommonJS, jest needs them transformed.
const transformIgnorePatterns = ['/node_modules/(?!(stream-json|stream-chain|@kubernetes/client-node|openid-client|oauth4webapi|jose)/)'];
module.exports = {
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/unit'],
      testMatch: ['**/*.test.ts'],
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/integration'],
      testMatch: ['**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
