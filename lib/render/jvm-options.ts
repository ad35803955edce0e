import { LoggingBackend } from '../image-profile';
import { EnsembleModel } from '../model/ensemble-model';
import { MAX_NOTIFICATION_INTERVAL_PROPERTY } from '../model/resolve-timing';

/**
 * The JVM options file passed to java as an @argfile, one option per line. The heap size is not
 * here: the start script passes it from the environment, where it is checked against the limit.
 */
export function renderJvmOptions(model: EnsembleModel): string {
  const loggingFlag = loggingConfigOption(model);
  // A path, not a secret: the file itself is built from the Secret when ZooKeeper starts.
  const jaas = model.sasl === undefined ? [] : [`-Djava.security.auth.login.config=${model.sasl.paths.jaasFile}`];
  // ZooKeeper reads it once, when its leader election class loads (see resolve-timing.ts).
  const election = `-D${MAX_NOTIFICATION_INTERVAL_PROPERTY}=${model.leaderElection.maxNotificationIntervalMs}`;
  return [...model.jvm.options, election, loggingFlag, ...jaas, ''].join('\n');
}

/** The system property that points the image's logging library at the mounted logging config. */
export function loggingConfigOption(model: EnsembleModel): string {
  return model.image.logging === LoggingBackend.LOGBACK
    ? `-Dlogback.configurationFile=${model.paths.loggingConfig}`
    : `-Dlog4j.configuration=file:${model.paths.loggingConfig}`;
}
