/** Unit tests: pure renderers, the resolved model, and the synthesized objects. Type-checking runs separately (`tsc --noEmit` in `npm test`), so ts-jest only transpiles. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // The examples import the library by its package name, as another project does.
  moduleNameMapper: { '^cdk8s-zookeeper$': '<rootDir>/lib' },
  snapshotResolver: '<rootDir>/test/support/snapshot-resolver.js',
  // One scratch TMPDIR for the run, removed at its end: nothing the tests make in os.tmpdir() stays.
  globalSetup: '<rootDir>/test/support/scratch-tmpdir-setup.js',
  globalTeardown: '<rootDir>/test/support/scratch-tmpdir-teardown.js',
};
