/**
 * ImageProfile.apacheRelease(): the Apache release layout at any supported version, which
 * image/apache/Containerfile builds. The default profile, upmio(), is its 3.8.4 instance, so the
 * committed dist/ (checked by the snapshot tests) cannot change through it.
 */
import { ImageProfile, LoggingBackend } from '../lib';
import { synthEnsemble } from './support/synth';

describe('ImageProfile.apacheRelease()', () => {
  test('the default profile is the 3.8.4 release layout under the upmio image', () => {
    expect(ImageProfile.upmio().props).toEqual(
      ImageProfile.apacheRelease({ version: '3.8.4', image: 'quay.io/upmio/zookeeper:3.8.4' }).props);
    expect(ImageProfile.upmio('mirror.example.com/zk:3.8.4').props.image).toBe('mirror.example.com/zk:3.8.4');
  });

  test('a 3.9 release runs from its own lib/ with logback and the native metrics provider', () => {
    const image = 'registry.example.com/zookeeper:3.9.4';
    const { mainContainer, statefulSet } = synthEnsemble({ image: ImageProfile.apacheRelease({ version: '3.9.4', image }) });

    expect(mainContainer.image).toBe(image);
    const env = Object.fromEntries(mainContainer.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env.ZK_CLASSPATH).toBe('/apache-zookeeper-3.9.4-bin/lib/*');
    expect(statefulSet.spec.template.metadata.labels['app.kubernetes.io/version']).toBe('3.9.4');
    const props = ImageProfile.apacheRelease({ version: '3.9.4', image }).props;
    expect(props.logging).toBe(LoggingBackend.LOGBACK);
    expect(props.nativePrometheusMetrics).toBe(true);
    expect([props.userId, props.groupId]).toEqual([1001, 1001]);
  });

  test.each(['3.8.0', '3.8.7', '3.9.0', '3.9.12'])('accepts release %s of the 3.8 and 3.9 families', (version) => {
    expect(ImageProfile.apacheRelease({ version, image: 'zk:x' }).props.classpath).toEqual([`/apache-zookeeper-${version}-bin/lib/*`]);
  });

  test.each([
    ['a 3.7 release', '3.7.2'],
    ['a 3.10 release', '3.10.0'],
    ['a 4.x release', '4.0.0'],
    ['no patch level', '3.9'],
    ['a release candidate', '3.9.4-rc1'],
    ['a leading v', 'v3.9.4'],
    ['an empty string', ''],
  ])('rejects %s, naming the setting and what is allowed', (_, version) => {
    expect(() => ImageProfile.apacheRelease({ version, image: 'zk:x' }))
      .toThrow(`ImageProfile.apacheRelease(): version must be x.y.z of a ZooKeeper 3.8 or 3.9 release, e.g. '3.9.4' (got ${JSON.stringify(version)})`);
  });

  test('rejects a version that is not a string, as an untyped caller may pass', () => {
    expect(() => ImageProfile.apacheRelease({ version: 3.9 as unknown as string, image: 'zk:x' })).toThrow(/version must be x\.y\.z .* \(got 3\.9\)/);
  });
});
