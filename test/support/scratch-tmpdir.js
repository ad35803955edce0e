// Jest's globalSetup and globalTeardown: the run gets one scratch folder as its TMPDIR (the workers
// inherit it), so whatever the tests and the libraries under them leave in os.tmpdir() (cdk8s's
// Testing.app() makes a `cdk8s.outdir.*` folder per app and never removes it) goes with the run.
const fs = require('fs');
const os = require('os');
const path = require('path');

const KEY = 'CDK8S_ZOOKEEPER_TEST_TMPDIR';

async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'czt-'));
  // As /tmp itself: tests run some programs as another user (supervisord as the container's uid),
  // which must reach their sandboxes in here and make their own temporary files.
  fs.chmodSync(dir, 0o1777);
  process.env[KEY] = dir;
  process.env.TMPDIR = dir;
}

async function teardown() {
  const dir = process.env[KEY];
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

module.exports = { setup, teardown };
