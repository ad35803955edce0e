// Snapshots live in the top-level __snapshots__/ (one file per test file), not beside the tests.
const path = require('path');

const root = path.join(__dirname, '..', '..');
const snapshotDir = path.join(root, '__snapshots__');

module.exports = {
  resolveSnapshotPath: (testPath, extension) => path.join(snapshotDir, path.basename(testPath) + extension),
  resolveTestPath: (snapshotPath, extension) => path.join(root, 'test', path.basename(snapshotPath, extension)),
  testPathForConsistencyCheck: path.join(root, 'test', 'app.test.ts'),
};
