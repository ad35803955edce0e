/** Unit tests: pure renderers, the resolved model, and the synthesized objects. Type-checking runs separately (`tsc --noEmit` in `npm test`), so ts-jest only transpiles. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  snapshotResolver: '<rootDir>/test/support/snapshot-resolver.js',
};
