/** The logging library on the server's classpath, which decides the format of the logging config. */
export enum LoggingBackend {
  /** Upstream ZooKeeper 3.8 tarballs: SLF4J with logback (logback.xml). */
  LOGBACK = 'logback',
  /** Debian's zookeeper package: SLF4J with log4j 1.2 (log4j.properties). */
  LOG4J = 'log4j',
}

/** The release families whose layout and configuration the project has run (3.8.x and 3.9.x). */
const SUPPORTED_RELEASE_FAMILIES = ['3.8', '3.9'];

/** What is wrong with `version` as the version of an Apache release profile; undefined if nothing. */
export function releaseVersionProblem(version: unknown): string | undefined {
  const parts = typeof version === 'string' ? /^(\d+)\.(\d+)\.(\d+)$/.exec(version) : null;
  if (parts && SUPPORTED_RELEASE_FAMILIES.includes(`${parts[1]}.${parts[2]}`)) return undefined;
  return `must be x.y.z of a ZooKeeper ${SUPPORTED_RELEASE_FAMILIES.join(' or ')} release, e.g. '3.9.4' (got ${JSON.stringify(version)})`;
}

/** Which Apache ZooKeeper release an image holds, and where it is. */
export interface ApacheReleaseOptions {
  /** The ZooKeeper release, `x.y.z` of a 3.8 or 3.9 release, e.g. '3.9.4'. */
  readonly version: string;
  /** Image reference, ideally pinned by tag or digest. */
  readonly image: string;
}

/** What the pod relies on inside a ZooKeeper image. */
export interface ImageProfileProps {
  /** Image reference, ideally pinned by tag or digest. */
  readonly image: string;
  /** ZooKeeper version in the image; becomes the `app.kubernetes.io/version` label. */
  readonly zookeeperVersion: string;
  /** Classpath entries of the server (directories with `*` are expanded by the JVM). */
  readonly classpath: string[];
  /** Absolute path of the `java` binary. */
  readonly javaPath: string;
  /** Absolute path of the `supervisord` binary. */
  readonly supervisordPath: string;
  /** Absolute path of bash; scripts and probes run with it. */
  readonly bashPath: string;
  /**
   * Numeric uid the image's files belong to (its USER); the pod runs as it unless
   * platformAssignedUser leaves the uid to the platform. Must not be 0.
   */
  readonly userId: number;
  /** Numeric gid of that user; also the pod's fsGroup (neither is set with platformAssignedUser). */
  readonly groupId: number;
  /**
   * Whether the image ships ZooKeeper's native Prometheus metrics provider. Without it, supervisord
   * runs the project's exporter (python3, reading `mntr`) beside ZooKeeper on the metrics port.
   */
  readonly nativePrometheusMetrics: boolean;
  /**
   * Absolute path of python3, which runs the exporter.
   * @default - none; required when nativePrometheusMetrics is false
   */
  readonly pythonPath?: string;
  /** The logging library on the classpath. */
  readonly logging: LoggingBackend;
}

/**
 * Describes an image: where ZooKeeper, java, supervisord and bash live and which user owns the
 * files. Differences between images belong here, never in the constructs.
 */
export class ImageProfile {
  /**
   * An Apache ZooKeeper binary release in its own layout: the release's lib/ (logback, the native
   * Prometheus provider) at `/apache-zookeeper-<version>-bin/lib`, with java, supervisord and bash
   * at their usual paths and uid/gid 1001. image/apache/Containerfile builds such an image for any
   * 3.8 or 3.9 release; the project publishes none, so `image` names where you pushed yours.
   * Throws when the version is not x.y.z of a 3.8 or 3.9 release.
   */
  public static apacheRelease(options: ApacheReleaseOptions): ImageProfile {
    const { version, image } = options;
    const problem = releaseVersionProblem(version);
    if (problem) throw new Error(`ImageProfile.apacheRelease(): version ${problem}`);
    return new ImageProfile({
      image,
      zookeeperVersion: version,
      classpath: [`/apache-zookeeper-${version}-bin/lib/*`],
      javaPath: '/usr/bin/java',
      supervisordPath: '/usr/bin/supervisord',
      bashPath: '/bin/bash',
      userId: 1001,
      groupId: 1001,
      nativePrometheusMetrics: true,
      logging: LoggingBackend.LOGBACK,
    });
  }

  /**
   * quay.io/upmio/zookeeper:3.8.4, the default: the Apache 3.8.4 release layout (Rocky Linux 9,
   * OpenJDK 11, supervisor from EPEL, uid/gid 1001). image/apache/Containerfile builds the same
   * layout on Debian (`ImageProfile.upmio('<your registry>/zookeeper:3.8.4')`).
   */
  public static upmio(image = 'quay.io/upmio/zookeeper:3.8.4'): ImageProfile {
    return ImageProfile.apacheRelease({ version: '3.8.4', image });
  }

  /**
   * The project's own image (image/debian/Containerfile): Debian bookworm's zookeeper 3.8.0 with
   * supervisor and OpenJDK 17. Debian's build has no Prometheus provider, and its server needs the
   * slf4j binding and log4j 1.2 for logging, servlet-api for the AdminServer and netty-codec for
   * TLS on the classpath. USER 1001:1001; its data directories are also group 0 and group-writable
   * and nothing else needs uid 1001, so it runs just as well under an arbitrary uid in group 0
   * (platformAssignedUser).
   */
  public static debian(image = 'localhost/cdk8s-zookeeper:3.8.0-bookworm'): ImageProfile {
    return new ImageProfile({
      image,
      zookeeperVersion: '3.8.0',
      classpath: [
        '/usr/share/java/zookeeper.jar',
        '/usr/share/java/slf4j-log4j12.jar',
        '/usr/share/java/log4j-1.2.jar',
        '/usr/share/java/servlet-api.jar',
        // zookeeper.jar's manifest names netty's handler but not its codec, which SslHandler
        // extends: without it TLS fails (NoClassDefFoundError ByteToMessageDecoder).
        '/usr/share/java/netty-codec.jar',
      ],
      javaPath: '/usr/bin/java',
      supervisordPath: '/usr/bin/supervisord',
      bashPath: '/bin/bash',
      userId: 1001,
      groupId: 1001,
      nativePrometheusMetrics: false,
      pythonPath: '/usr/bin/python3',
      logging: LoggingBackend.LOG4J,
    });
  }

  /** Any other image, described field by field. */
  public static custom(props: ImageProfileProps): ImageProfile {
    return new ImageProfile(props);
  }

  private constructor(public readonly props: ImageProfileProps) {}

  /** The same image layout under another reference (a mirror, or a digest pin). */
  public withImage(image: string): ImageProfile {
    return new ImageProfile({ ...this.props, image });
  }
}
