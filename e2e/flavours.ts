// The images the suite runs, side by side: the default profile (what dist/ deploys) on the local
// 3.8.4 build, the same layout on 3.9.4, and the project's Debian image with the mntr exporter.
import * as path from 'path';
import { Environment, ImageProfile, readEnvironmentFiles, ZooKeeperChartProps } from '../lib';
import { LOCAL_IMAGES } from './dist';

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
 * The settings of environments/prod.yaml (what dist/prod is made from) on another image and under
 * another ensemble name, so the figures of every flavour come from the same ensemble shape.
 */
export function prodSettingsOn(flavour: Flavour, name: string): ZooKeeperChartProps {
  return { ...prodEnvironment().settings, name, image: flavour.profile };
}

/** environments/prod.yaml, read as `npm run synth` reads it. */
export function prodEnvironment(): Environment {
  const prod = readEnvironmentFiles(path.join(__dirname, '..', 'environments')).find((env) => env.name === 'prod');
  if (!prod) throw new Error('environments/ has no prod environment');
  return prod;
}
