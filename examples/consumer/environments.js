// The same library from plain JavaScript (no TypeScript, no tsx): one ensemble per
// environments/<name>.yaml, each in dist/<name>/, with the Argo CD Applications in dist/argocd/,
// as this project's own main.ts does.
//   npm install cdk8s-zookeeper && node environments.js
const { readEnvironmentFiles, reportSynthesis, synthesizeEnvironments } = require('cdk8s-zookeeper');

const gitops = {
  repoURL: 'https://git.example.com/platform/zookeeper.git',
  targetRevision: 'main',
  automatedSync: ['dev'],
};

if (require.main === module) reportSynthesis(() => synthesizeEnvironments(readEnvironmentFiles('environments'), gitops, 'dist'), 'dist');

module.exports = { gitops };
