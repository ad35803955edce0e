// The images the suite runs, side by side: the default profile (what dist/ deploys) on the local
// 3.8.4 build, the same layout on 3.9.4, and the project's Debian image with the mntr exporter.
import { App } from 'cdk8s';
import { DeploymentMode, Environment, ImageProfile, ZooKeeperChart, ZooKeeperChartProps } from '../lib';
import { environments } from '../main';
import { distObjects, LOCAL_IMAGES, standInImage, withImage } from './dist';
import { synthesizeToYaml } from './ensemble';
import { find, Manifest } from './expand';

export interface Flavour {
  /** Short name for the summary's columns. */
  readonly label: string;
  readonly profile: ImageProfile;
}

export const FLAVOURS = {
  /** ImageProfile.upmio() on the local build of the same layout: what dist/prod deploys. */
  default: { label: '3.8.4 (default)', profile: ImageProfile.upmio().withImage(LOCAL_IMAGES.zookeeper384) },
  zookeeper39: { label: '3.9.4', profile: ImageProfile.apacheRelease({ version: '3.9.4', image: LOCAL_IMAGES.zookeeper394 }) },
  debian: { label: 'Debian 3.8.0 + exporter', profile: ImageProfile.debian() },
} satisfies Record<string, Flavour>;

/**
 * Settings of the e2e charts that dist/ does not provide (TLS, SASL, observers, ...): sized for a
 * 2-CPU CI machine, on the default profile unless another flavour is asked for.
 */
export function e2eProps(overrides: ZooKeeperChartProps = {}, flavour: Flavour = FLAVOURS.default): ZooKeeperChartProps {
  return { name: 'zk', namespace: 'zk-e2e', image: flavour.profile, memoryLimitMiB: 1024, cpuRequestMillicores: 250, ...overrides };
}

/**
 * The production settings on another image and under another ensemble name, so the figures of
 * every flavour come from the same ensemble shape.
 */
export function prodSettingsOn(flavour: Flavour, name: string): ZooKeeperChartProps {
  return { ...prodEnvironment().settings, name, image: flavour.profile };
}

/** An ensemble the harness plays, with the settings it was made from. */
export interface PlayedEnvironment {
  /** `dist/<name>`, or what stands in for it. */
  readonly label: string;
  readonly settings: ZooKeeperChartProps;
  /** The objects: the committed folder on the local image, or the library's own. */
  readonly objects: () => Manifest[];
}

/** Failover under writes needs a member to kill with a quorum left: three voters. */
export const PRODUCTION_VOTERS = 3;

/** The library's defaults (highly-available, three voters), for an app without such an environment. */
const LIBRARY_DEFAULTS: PlayedEnvironment = {
  label: 'the library defaults (no environment of the app has three voters)',
  settings: { namespace: 'zookeeper' },
  objects: () => {
    const objects = synthesizeToYaml({ namespace: 'zookeeper' });
    return withImage(objects, standInImage(objects));
  },
};

function played(env: Environment): PlayedEnvironment {
  return { label: `dist/${env.name}`, settings: env.settings, objects: () => distObjects(env.name) };
}

/** Voting members and observers of an environment, as the library resolves its settings. */
export function shapeOf(settings: ZooKeeperChartProps): { voters: number; observers: number; standalone: boolean } {
  const { model } = new ZooKeeperChart(new App(), 'shape', settings).ensemble;
  return { voters: model.replicas, observers: model.observers.length, standalone: model.mode === DeploymentMode.STANDALONE };
}

/**
 * The environment the core scenarios play as production. The app's environments are the user's, so
 * none is assumed: `prod` when there is one with three voters or more, otherwise the one with the
 * most voters (the first by name among equals), and the library's defaults when none has three.
 */
export function choosePrimary(envs: readonly Environment[]): PlayedEnvironment {
  const candidates = envs.map((env) => ({ env, voters: shapeOf(env.settings).voters }))
    .filter((c) => c.voters >= PRODUCTION_VOTERS)
    .sort((a, b) => Number(b.env.name === 'prod') - Number(a.env.name === 'prod') || b.voters - a.voters || a.env.name.localeCompare(b.env.name));
  return candidates.length > 0 ? played(candidates[0].env) : LIBRARY_DEFAULTS;
}

/** The app's production environment, as `choosePrimary` picks it from main.ts's list. */
export function prodEnvironment(): PlayedEnvironment {
  return choosePrimary(environments());
}

/**
 * Every other environment of the app, for scenario 8: each is played as committed, except those
 * whose pods need Secrets or certificates from the cluster (TLS, SASL), which this bed cannot
 * hold; scenarios 12 and 14 prove those settings on the library's own objects.
 */
export function otherEnvironments(envs: readonly Environment[] = environments()): { played: PlayedEnvironment[]; needsSecrets: string[] } {
  const primary = choosePrimary(envs);
  const others = envs.map(played).filter((env) => env.label !== primary.label);
  const needsSecrets = (objects: Manifest[]) => find(objects, 'Certificate').length > 0
    || find(objects, 'StatefulSet').some((sts) => JSON.stringify(sts.spec.template.spec).includes('"secretName"')
      || JSON.stringify(sts.spec.template.spec).includes('"secretKeyRef"'));
  // Decided on the settings' own objects (what dist/ holds for them), before anything is played.
  const secretive = new Set(others.filter((env) => needsSecrets(synthesizeToYaml(env.settings))).map((env) => env.label));
  return {
    played: others.filter((env) => !secretive.has(env.label)),
    needsSecrets: others.filter((env) => secretive.has(env.label)).map((env) => env.label),
  };
}
