import { ImageProfile, LoggingBackend, LogLevel, resolveEnsemble } from '../lib';
import { renderJvmOptions } from '../lib/render/jvm-options';
import { renderLoggingConfig } from '../lib/render/logging';
import { renderSupervisordConf } from '../lib/render/supervisord-conf';
import { renderZooCfg } from '../lib/render/zoo-cfg';
import { parseIni } from './support/ini';
import { parseZooCfg } from './support/synth';

const log4jImage = ImageProfile.custom({ ...ImageProfile.upmio().props, logging: LoggingBackend.LOG4J, nativePrometheusMetrics: false, pythonPath: '/usr/bin/python3' });

describe('zoo.cfg', () => {
  test('has comments only on lines of their own, because ZooKeeper keeps an inline comment as part of the value', () => {
    const text = renderZooCfg(resolveEnsemble({ namespace: 'zk', additionalConfig: { 'fsync.warningthresholdms': '500' } }));
    for (const [key, value] of parseZooCfg(text)) expect({ key, value }).toEqual({ key, value: expect.not.stringMatching(/#|^\s|\s$/) });
    expect(text.endsWith('\n')).toBe(true);
  });
});

describe('logging', () => {
  test('logback: console only, root at the configured level, probe chatter reduced to warnings', () => {
    const xml = renderLoggingConfig(resolveEnsemble({ namespace: 'zk', logLevel: LogLevel.WARN }));
    expect(xml).toMatch(/<root level="WARN">\s*<appender-ref ref="CONSOLE"\/>/);
    expect(xml).toContain('class="ch.qos.logback.core.ConsoleAppender"');
    expect(xml).not.toMatch(/FileAppender/);
    for (const logger of ['NIOServerCnxn', 'NettyServerCnxn']) expect(xml).toContain(`<logger name="org.apache.zookeeper.server.${logger}" level="WARN"/>`);
    // Tags balance, so logback can parse it.
    const opened = (xml.match(/<[a-z][^/>]*[^/]>/gi) ?? []).filter((t) => !t.startsWith('<?')).length;
    expect((xml.match(/<\/[a-z]+>/gi) ?? []).length).toBe(opened);
  });

  test('log4j images get a log4j.properties with the same behaviour, and the JVM is pointed at it', () => {
    const model = resolveEnsemble({ namespace: 'zk', image: log4jImage, logLevel: LogLevel.DEBUG });
    const props = renderLoggingConfig(model);
    expect(props).toMatch(/^log4j\.rootLogger=DEBUG, CONSOLE$/m);
    expect(props).toMatch(/^log4j\.appender\.CONSOLE=org\.apache\.log4j\.ConsoleAppender$/m);
    expect(props).toMatch(/^log4j\.logger\.org\.apache\.zookeeper\.server\.NIOServerCnxn=WARN$/m);
    expect(model.paths.loggingConfig).toBe('/config/logging/log4j.properties');
    expect(renderJvmOptions(model)).toContain('-Dlog4j.configuration=file:/config/logging/log4j.properties');
    expect(renderJvmOptions(model)).not.toContain('logback');
  });
});

describe('supervisord.conf', () => {
  const conf = parseIni(renderSupervisordConf(resolveEnsemble({ namespace: 'zk', stopTimeoutSeconds: 45 })));

  test('runs ZooKeeper in the foreground, restarts it when it dies, and sends its output to the container log', () => {
    expect(conf['program:zookeeper']).toMatchObject({
      command: '/bin/bash /scripts/start-zookeeper.sh',
      autostart: 'true', autorestart: 'true', stopsignal: 'TERM', stopwaitsecs: '45',
      stdout_logfile: '/dev/stdout', stdout_logfile_maxbytes: '0', redirect_stderr: 'true',
    });
  });

  test('writes its own log once (stdout, through nodaemon) and keeps pid file and socket together', () => {
    expect(conf.supervisord).toMatchObject({ nodaemon: 'true', logfile: '/dev/null', logfile_maxbytes: '0' });
    expect(conf.supervisord.pidfile.replace(/[^/]+$/, '')).toBe(conf.unix_http_server.file.replace(/[^/]+$/, ''));
  });

  test('a watchdog listens for FATAL programs and keeps its protocol channel (stdout) clean', () => {
    expect(conf['eventlistener:watchdog']).toMatchObject({ command: '/bin/bash /scripts/supervisor-watchdog.sh', events: 'PROCESS_STATE_FATAL' });
    expect(conf['eventlistener:watchdog'].redirect_stderr).toBeUndefined();
    expect(conf['eventlistener:watchdog'].stdout_logfile).toBe('NONE');
  });
});
