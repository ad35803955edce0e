import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runSynthesis, synthesizeAtomically, synthesizeEnvironments, ZooKeeperChart } from '../lib';
import { fixtureApp, readTree } from './support/default-app';

// What a run may remove from its output folder: only what it writes itself. A second app in the
// same project, written as the docs show, must not delete the environments' folders, nor they it.
describe('an output folder shared by the environments and another app', () => {
  // The tests' own app: the user's environments may be any set.
  const { environments, gitops } = fixtureApp();
  const ENVIRONMENT_FOLDERS = ['bare', 'dev', 'prod', 'secure'];
  const APPLICATIONS = ENVIRONMENT_FOLDERS.map((env) => `${env}.k8s.yaml`);
  let parent: string;
  let outdir: string;
  beforeEach(() => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-owned-'));
    outdir = path.join(parent, 'dist');
    synthesizeEnvironments(environments, gitops, outdir);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(parent, { recursive: true, force: true });
  });

  const customApp = (id: string) => (app: import('cdk8s').App) => { new ZooKeeperChart(app, id, { namespace: id }); };

  test('a custom app keeps every environment folder and the Applications byte for byte', () => {
    // GIVEN the environments' output
    const before = readTree(outdir);
    // WHEN another app synthesizes its chart into the same folder
    runSynthesis(customApp('payments'), outdir);
    // THEN its manifest is added and nothing else changed
    const after = readTree(outdir);
    expect(Object.keys(after).filter((file) => !(file in before))).toEqual(['payments.k8s.yaml']);
    expect(Object.fromEntries(Object.keys(before).map((file) => [file, after[file]]))).toEqual(before);
  });

  test('the environments keep the custom app\'s manifest and a folder they did not write, and drop a removed environment', () => {
    // GIVEN a custom app's manifest, a hand-made folder, and an environment that is then removed
    runSynthesis(customApp('payments'), outdir);
    fs.mkdirSync(path.join(outdir, 'overlays'));
    fs.writeFileSync(path.join(outdir, 'overlays', 'kustomization.yaml'), 'resources: [../prod]\n');
    synthesizeEnvironments([...environments, { name: 'staging', settings: { namespace: 'zookeeper-staging' } }], gitops, outdir);
    expect(fs.existsSync(path.join(outdir, 'staging', 'zookeeper.k8s.yaml'))).toBe(true);
    // WHEN the environments are synthesized without staging
    synthesizeEnvironments(environments, gitops, outdir);
    // THEN staging and its Application are gone; the other app's file and the overlay stay
    expect(fs.readdirSync(outdir).sort()).toEqual(['argocd', ...ENVIRONMENT_FOLDERS, 'overlays', 'payments.k8s.yaml'].sort());
    expect(fs.readdirSync(path.join(outdir, 'argocd')).sort()).toEqual(APPLICATIONS);
    expect(fs.readFileSync(path.join(outdir, 'overlays', 'kustomization.yaml'), 'utf8')).toBe('resources: [../prod]\n');
  });

  test('a custom app drops the manifest of a chart it no longer has, and only that', () => {
    runSynthesis((app) => { customApp('payments')(app); customApp('orders')(app); }, outdir);
    synthesizeAtomically(customApp('payments'), outdir);
    expect(fs.readdirSync(outdir).sort()).toEqual(['argocd', ...ENVIRONMENT_FOLDERS, 'payments.k8s.yaml'].sort());
  });

  test('nothing is written without an output folder: the caller names it', () => {
    expect(() => synthesizeAtomically(customApp('payments'), undefined as unknown as string)).toThrow(/output folder must be given/);
    expect(fs.readdirSync(parent)).toEqual(['dist']);
  });
});
