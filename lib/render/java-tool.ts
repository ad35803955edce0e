import * as fs from 'fs';
import * as path from 'path';
import { LoggingBackend } from '../image-profile';
import { EnsembleModel } from '../model/ensemble-model';
import { ClientTls } from '../tls-settings';
import { packageRoot } from './scripts';

/**
 * A Java program run with the server image's own JVM and ZooKeeper's classpath, as a single-file
 * source program (JDK 11+ compiles it in memory at launch: the image's JDK must hold the
 * jdk.compiler module, which every supported image does, see docs/post-deploy-check.md). The
 * sources live in lib/java as real files, so editors and tests see them; they reach the pod
 * through a ConfigMap.
 */
export function loadJavaSource(file: string): string {
  return fs.readFileSync(path.join(packageRoot(), 'lib', 'java', file), 'utf8');
}

/** The logging config file of a tool's JVM, in the image's format: warnings and errors only, to stderr. */
export function renderToolLogging(backend: LoggingBackend): { readonly file: string; readonly content: string; readonly property: string } {
  if (backend === LoggingBackend.LOGBACK) {
    return {
      file: 'logback.xml',
      property: 'logback.configurationFile',
      content: [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!-- ZooKeeper client library logging of a cdk8s-zookeeper tool: its own lines go to stdout. -->',
        '<configuration>',
        '  <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">',
        '    <target>System.err</target>',
        '    <encoder><pattern>%d{ISO8601,UTC} %-5level %logger{36} - %msg%n</pattern></encoder>',
        '  </appender>',
        '  <root level="WARN"><appender-ref ref="STDERR"/></root>',
        '</configuration>',
        '',
      ].join('\n'),
    };
  }
  return {
    file: 'log4j.properties',
    property: 'log4j.configuration',
    content: [
      '# ZooKeeper client library logging of a cdk8s-zookeeper tool: its own lines go to stdout.',
      'log4j.rootLogger=WARN, STDERR',
      'log4j.appender.STDERR=org.apache.log4j.ConsoleAppender',
      'log4j.appender.STDERR.Target=System.err',
      'log4j.appender.STDERR.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.STDERR.layout.ConversionPattern=%d{ISO8601} %-5p %c{1} - %m%n',
      '',
    ].join('\n'),
  };
}

/** Whether a client of the ensemble must use TLS: the TLS client port is on. */
export function clientUsesTls(model: EnsembleModel): boolean {
  return model.tls !== undefined && model.tls.client !== ClientTls.OFF;
}

/** The port a client in another pod dials on every member: the TLS one whenever it exists. */
export function toolClientPort(model: EnsembleModel): number {
  return clientUsesTls(model) ? model.ports.secureClient!.port : model.ports.client.port;
}

/**
 * The ZooKeeper client's TLS settings as system properties, reading the members' own Secret as it
 * is mounted (the stores, and the password from its file: ZooKeeper 3.8's `passwordPath`), so no
 * password is on the command line. Hostname verification stays on: the certificate names the
 * client Service and every member. None without client TLS.
 */
export function clientTlsSystemProperties(model: EnsembleModel): string[] {
  if (!clientUsesTls(model)) return [];
  const { secretDir, passwordFile } = model.tls!.paths;
  const { keyStore, trustStore } = model.tls!.secretKeys;
  return [
    '-Dzookeeper.client.secure=true',
    '-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty',
    `-Dzookeeper.ssl.keyStore.location=${secretDir}/${keyStore}`,
    `-Dzookeeper.ssl.keyStore.passwordPath=${passwordFile}`,
    '-Dzookeeper.ssl.keyStore.type=PKCS12',
    `-Dzookeeper.ssl.trustStore.location=${secretDir}/${trustStore}`,
    `-Dzookeeper.ssl.trustStore.passwordPath=${passwordFile}`,
    '-Dzookeeper.ssl.trustStore.type=PKCS12',
  ];
}

/** The JVM option that points the image's logging library at a config file. */
export function toolLoggingOption(backend: LoggingBackend, file: string): string {
  const { property } = renderToolLogging(backend);
  return `-D${property}=${property === 'log4j.configuration' ? 'file:' : ''}${file}`;
}

/** Where the members' logging ConfigMap holds a tool's logging config (zk-cli.sh's), beside the server's. */
export function memberToolLoggingPath(model: EnsembleModel): string {
  return `${model.paths.loggingDir}/tool-${renderToolLogging(model.image.logging).file}`;
}

/**
 * The command of a Java tool: the image's java, a small heap, no perf data file (the root file
 * system is read-only), the tool's logging config, client TLS, then the source file itself.
 */
export function javaToolCommand(model: EnsembleModel, tool: { readonly dir: string; readonly source: string; readonly heapMiB: number; readonly securityFile?: string }): string[] {
  return [
    model.image.javaPath,
    '-XX:-UsePerfData',
    '-XX:+UseSerialGC',
    `-Xmx${tool.heapMiB}m`,
    ...(tool.securityFile === undefined ? [] : [`-Djava.security.properties=${tool.dir}/${tool.securityFile}`]),
    toolLoggingOption(model.image.logging, `${tool.dir}/${renderToolLogging(model.image.logging).file}`),
    ...clientTlsSystemProperties(model),
    '-cp',
    model.image.classpath.join(':'),
    `${tool.dir}/${tool.source}`,
  ];
}
