import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ImageProfile, resolveEnsemble, runSynthesis, synthesizeAtomically, ZooKeeperChart, ZooKeeperEnsemble, ZooKeeperEnsembleProps, ZooKeeperSettingsError } from '../lib';

/** Resolves settings that must be rejected and returns the reported issues. */
function issuesOf(props: Record<string, unknown>, chartNamespace: string | null = 'zk') {
  try {
    resolveEnsemble(props as ZooKeeperEnsembleProps, chartNamespace ?? undefined);
  } catch (error) {
    if (error instanceof ZooKeeperSettingsError) return error.issues;
    throw error;
  }
  throw new Error(`settings were accepted: ${JSON.stringify(props)}`);
}

const upmio = ImageProfile.upmio().props;

// [what is wrong, settings, the setting the message must name, what the message must say]
const BAD_INPUTS: [string, Record<string, unknown>, string, RegExp][] = [
  ['even replicas', { replicas: 4 }, 'replicas', /must be odd .*allowEvenReplicas/],
  ['zero replicas', { replicas: 0 }, 'replicas', /whole number from 1 to 255/],
  ['more members than myids', { replicas: 257 }, 'replicas', /from 1 to 255/],
  ['fractional replicas', { replicas: 2.5 }, 'replicas', /whole number/],
  ['replicas as a string', { replicas: '3' }, 'replicas', /whole number .*got "3"/],
  ['allowEvenReplicas not a boolean', { allowEvenReplicas: 'yes' }, 'allowEvenReplicas', /true or false/],
  ['unknown mode', { mode: 'ha' }, 'mode', /must be one of 'standalone', 'highly-available', 'cluster' \(got "ha"\)/],
  ['mode in upper case', { mode: 'CLUSTER' }, 'mode', /one of 'standalone', 'highly-available', 'cluster' \(got "CLUSTER"\)/],
  ['standalone with three replicas', { mode: 'standalone', replicas: 3 }, 'replicas', /must be 1 in mode 'standalone' \(got 3\): a standalone server runs alone/],
  ['cluster with three voters', { mode: 'cluster', replicas: 3 }, 'replicas', /must be at least 5 in mode 'cluster' \(got 3\); use mode 'highly-available'/],
  ['even voters in cluster mode', { mode: 'cluster', replicas: 6 }, 'replicas', /must be odd \(got 6\).*allowEvenReplicas/],
  ['observers in highly-available mode', { observers: 2 }, 'observers', /are only allowed in mode 'cluster' \(mode is 'highly-available'\): set mode: 'cluster' with at least 5 replicas, or leave observers at 0/],
  ['observers in standalone mode', { mode: 'standalone', observers: 1 }, 'observers', /only allowed in mode 'cluster' \(mode is 'standalone'\)/],
  ['negative observers', { mode: 'cluster', observers: -1 }, 'observers', /whole number from 0 to 32 \(got -1\)/],
  ['observers not a number', { mode: 'cluster', observers: 'two' }, 'observers', /whole number from 0 to 32 \(got "two"\)/],
  ['fractional observers', { mode: 'cluster', observers: 1.5 }, 'observers', /whole number/],
  ['too many observers', { mode: 'cluster', observers: 33 }, 'observers', /from 0 to 32 \(got 33\)/],
  ['observers beyond the last server id', { mode: 'cluster', replicas: 251, observers: 5 }, 'observers', /need server ids up to 256; ZooKeeper allows at most 255/],
  ['name too long for the observers\' StatefulSet', { mode: 'cluster', observers: 1, name: 'z'.repeat(44) }, 'name', /at most 43 characters with observers \(got 44\)/],
  ['upper-case name', { name: 'ZooKeeper' }, 'name', /DNS label/],
  ['name starting with a digit', { name: '1zk' }, 'name', /start with a letter/],
  ['name too long for pod names', { name: 'z'.repeat(53) }, 'name', /at most 52 characters/],
  ['invalid namespace', { namespace: 'Prod_NS' }, 'namespace', /DNS label/],
  ['invalid cluster domain', { clusterDomain: 'cluster..local' }, 'clusterDomain', /DNS subdomain/],
  ['privileged client port', { clientPort: 80 }, 'clientPort', /from 1024 to 65535/],
  ['port out of range', { metricsPort: 70000 }, 'metricsPort', /from 1024 to 65535/],
  ['two roles on one port', { electionPort: 2888 }, 'electionPort', /must differ from quorumPort \(both are 2888, quorumPort by default\)/],
  ['admin port on the metrics port', { adminPort: 7000 }, 'adminPort', /must differ from metricsPort/],
  ['a port set to another port\'s default, which comes later', { clientPort: 7000 }, 'clientPort', /^must differ from metricsPort \(both are 7000, metricsPort by default\)$/],
  ['a port set to the TLS port\'s default', { clientTls: 'on', tlsSecretName: 'zk-tls', metricsPort: 2281 }, 'metricsPort', /^must differ from secureClientPort \(both are 2281, secureClientPort by default\)$/],
  ['the four-letter-word whitelist in zoo.cfg', { additionalConfig: { '4lw.commands.whitelist': '*' } }, 'additionalConfig.4lw.commands.whitelist', /^is managed by the construct; .*the probes and the mntr exporter/],
  ['a zoo.cfg key starting with a digit but no letter-or-digit after', { additionalConfig: { '4lw commands': 'x' } }, 'additionalConfig.4lw commands', /is not a zoo.cfg key/],
  ['an empty dashboard label map, which no Grafana sidecar would find', { grafanaDashboardLabels: {} }, 'grafanaDashboardLabels', /must name at least one label: .*set grafanaDashboard: false/],
  ['dashboard labels without a dashboard', { grafanaDashboard: false, grafanaDashboardLabels: { grafana_dashboard: '1' } }, 'grafanaDashboardLabels', /has no effect with grafanaDashboard: false/],
  ['alert thresholds without alert rules', { alertRules: false, alertThresholds: { elections: 3 } }, 'alertThresholds', /has no effect with alertRules: false/],
  ['tickTime too small', { tickTime: 10 }, 'tickTime', /from 100 to 60000/],
  ['initLimit zero', { initLimit: 0 }, 'initLimit', /from 1 to 1000/],
  ['negative syncLimit', { syncLimit: -1 }, 'syncLimit', /from 1 to 1000/],
  ['election back-off cap below ZooKeeper\'s first wait', { maxNotificationIntervalMs: 100 }, 'maxNotificationIntervalMs', /from 200 to 60000/],
  ['the election back-off cap as a JVM flag', { jvmOptions: ['-Dzookeeper.fastleader.maxNotificationInterval=500'] }, 'jvmOptions[0]', /^is managed by the construct: use maxNotificationIntervalMs$/],
  ['the election back-off cap in zoo.cfg, which would override the JVM flag', { additionalConfig: { 'fastleader.maxNotificationInterval': '500' } }, 'additionalConfig.fastleader.maxNotificationInterval', /^is managed by the construct; use maxNotificationIntervalMs$/],
  ['session timeouts crossed', { minSessionTimeout: 60000, maxSessionTimeout: 30000 }, 'minSessionTimeout', /must not exceed maxSessionTimeout/],
  ['too few retained snapshots', { autopurgeSnapRetainCount: 2 }, 'autopurgeSnapRetainCount', /from 3 to/],
  ['negative purge interval', { autopurgePurgeInterval: -1 }, 'autopurgePurgeInterval', /from 0 to 8760/],
  ['preAllocSize given in bytes', { preAllocSizeKb: 67108864 }, 'preAllocSizeKb', /from 1 to 1048576/],
  ['heap above the memory limit', { memoryLimitMiB: 1024, heapMiB: 2048 }, 'heapMiB', /does not fit the 1024 MiB memory limit/],
  ['heap leaving no room for the JVM', { memoryLimitMiB: 1024, heapMiB: 900 }, 'heapMiB', /at least 256 MiB is needed/],
  ['heap percent too high', { heapPercent: 95 }, 'heapPercent', /from 25 to 80/],
  ['heap set twice', { heapMiB: 512, heapPercent: 50 }, 'heapMiB', /cannot be combined with heapPercent/],
  ['memory limit too small', { memoryLimitMiB: 256 }, 'memoryLimitMiB', /from 512/],
  ['request above limit', { memoryRequestMiB: 4096 }, 'memoryRequestMiB', /must not exceed memoryLimitMiB/],
  ['cpu limit below request', { cpuRequestMillicores: 1000, cpuLimitMillicores: 500 }, 'cpuLimitMillicores', /at least cpuRequestMillicores/],
  ['heap flag in jvmOptions', { jvmOptions: ['-Xmx4g'] }, 'jvmOptions[0]', /use heapMiB or heapPercent/],
  ['jvm option with a space', { jvmOptions: ['-Dfoo=a b'] }, 'jvmOptions[0]', /without spaces/],
  ['a security properties file of its own', { jvmOptions: ['-Djava.security.properties=/etc/my.security'] }, 'jvmOptions[0]', /is managed by the construct: it sets how long the JVM caches DNS answers/],
  ['jvmOptions not a list', { jvmOptions: '-Dfoo=1' }, 'jvmOptions', /list of strings/],
  ['zero-size volume', { dataStorageGiB: 0 }, 'dataStorageGiB', /from 1 to 65536/],
  ['invalid storage class', { storageClassName: 'Fast SSD' }, 'storageClassName', /DNS subdomain/],
  ['managed zoo.cfg key', { additionalConfig: { dataDir: '/elsewhere' } }, 'additionalConfig.dataDir', /managed by the construct; use the data volume/],
  ['server line in additionalConfig', { additionalConfig: { 'server.4': 'x:1:2' } }, 'additionalConfig.server.4', /derived from replicas/],
  ['peerType in additionalConfig', { additionalConfig: { peerType: 'observer' } }, 'additionalConfig.peerType', /managed by the construct; use observers/],
  ['jute.maxbuffer in zoo.cfg', { additionalConfig: { 'jute.maxbuffer': '1' } }, 'additionalConfig.jute.maxbuffer', /jvmOptions \(-Djute\.maxbuffer/],
  ['multi-line zoo.cfg value', { additionalConfig: { 'fsync.warningthresholdms': '1\nserver.9=evil:1:2' } }, 'additionalConfig.fsync.warningthresholdms', /single line/],
  ['a super-user digest in zoo.cfg (ZooKeeper makes it a system property)', { additionalConfig: { 'DigestAuthenticationProvider.superDigest': 'super:abc=' } }, 'additionalConfig.DigestAuthenticationProvider.superDigest', /is managed by the construct; use saslSuperDigestKey \(a digest is only ever read from the mounted Secret\)/],
  ['a super-user digest as a JVM flag', { jvmOptions: ['-Dzookeeper.DigestAuthenticationProvider.superDigest=super:abc='] }, 'jvmOptions[0]', /would put the super digest into a ConfigMap and on the command line: use saslSuperDigestKey/],
  ['an AppArmor profile in podAnnotations', { podAnnotations: { 'container.apparmor.security.beta.kubernetes.io/zookeeper': 'unconfined' } }, 'podAnnotations.container.apparmor.security.beta.kubernetes.io/zookeeper', /sets an AppArmor or seccomp profile.*runtime default profiles/],
  ['invalid label value', { labels: { team: 'platform team' } }, 'labels.team', /label value/],
  ['invalid label key', { labels: { 'bad key': 'x' } }, 'labels.bad key', /not a valid key/],
  ['label that would change selectors', { labels: { 'app.kubernetes.io/instance': 'other' } }, 'labels.app.kubernetes.io/instance', /sets itself to select its objects/],
  ['label that would make client Services look like the metrics Service', { labels: { 'cdk8s-zookeeper/metrics': 'true' } }, 'labels.cdk8s-zookeeper/metrics', /sets itself to select its objects/],
  ['dashboard label clashing with a common label', { grafanaDashboardLabels: { 'app.kubernetes.io/component': 'dashboard' } }, 'grafanaDashboardLabels.app.kubernetes.io/component', /already set on every object/],
  ['unknown anti-affinity', { antiAffinity: 'always' }, 'antiAffinity', /one of 'required', 'preferred'/],
  ['unknown zone spread', { zoneSpread: 'Sometimes' }, 'zoneSpread', /one of 'ScheduleAnyway', 'DoNotSchedule'/],
  ['unknown log level', { logLevel: 'TRACE' }, 'logLevel', /one of 'ERROR', 'WARN', 'INFO', 'DEBUG'/],
  ['tolerations not a list', { tolerations: { key: 'x' } }, 'tolerations', /list of objects/],
  ['invalid pull secret name', { imagePullSecrets: ['My_Secret'] }, 'imagePullSecrets[0]', /DNS subdomain/],
  ['stop timeout zero', { stopTimeoutSeconds: 0 }, 'stopTimeoutSeconds', /from 1 to 600/],
  ['misspelt setting', { replica: 3 }, 'replica', /is not a setting \(did you mean 'replicas'\?\)/],
  ['unknown setting', { persistence: true }, 'persistence', /is not a setting/],
  ['image as a plain string', { image: 'zookeeper:3.8' }, 'image', /must be an ImageProfile/],
  ['root image user', { image: ImageProfile.custom({ ...upmio, userId: 0 }) }, 'image.userId', /non-root uid/],
  ['relative java path', { image: ImageProfile.custom({ ...upmio, javaPath: 'java' }) }, 'image.javaPath', /absolute path/],
  ['empty classpath', { image: ImageProfile.custom({ ...upmio, classpath: [] }) }, 'image.classpath', /non-empty list/],
  ['image reference with a space', { image: ImageProfile.upmio().withImage('quay.io/x y') }, 'image.image', /without spaces/],
  ['image without metrics provider or python', { image: ImageProfile.custom({ ...upmio, nativePrometheusMetrics: false }) }, 'image.pythonPath', /required when nativePrometheusMetrics is false/],
  ['unknown monitor kind', { prometheusMonitor: 'Probe' }, 'prometheusMonitor', /one of 'ServiceMonitor', 'PodMonitor', 'none'/],
  ['scrape interval too short', { scrapeIntervalSeconds: 1 }, 'scrapeIntervalSeconds', /from 5 to 120/],
  ['scrape interval as a duration string', { scrapeIntervalSeconds: '30s' }, 'scrapeIntervalSeconds', /whole number .*got "30s"/],
  ['monitoring label clashing with a common label', { monitoringLabels: { 'app.kubernetes.io/name': 'x' } }, 'monitoringLabels.app.kubernetes.io/name', /already set on every object/],
  ['alertRules not a boolean', { alertRules: 'on' }, 'alertRules', /true or false/],
  ['alert thresholds not an object', { alertThresholds: 90 }, 'alertThresholds', /must be an object with any of outstandingRequests/],
  ['unknown alert threshold', { alertThresholds: { heapPercent: 80 } }, 'alertThresholds.heapPercent', /is not a setting \(did you mean 'jvmHeapPercent'\?\)/],
  ['percentage threshold of 100', { alertThresholds: { volumeUsedPercent: 100 } }, 'alertThresholds.volumeUsedPercent', /from 1 to 99/],
  ['zero elections threshold', { alertThresholds: { elections: 0 } }, 'alertThresholds.elections', /from 1 to 1000/],
  ['evaluation interval of zero', { alertEvaluationIntervalSeconds: 0 }, 'alertEvaluationIntervalSeconds', /from 1 to 3600/],
  ['sync wave set by hand', { annotations: { 'argocd.argoproj.io/sync-wave': '5' } }, 'annotations.argocd.argoproj.io/sync-wave', /set by the construct on every object to order an Argo CD sync/],
  ['invalid dashboard label', { grafanaDashboardLabels: { grafana_dashboard: 'yes please' } }, 'grafanaDashboardLabels.grafana_dashboard', /label value/],
  ['networkPolicy not a boolean', { networkPolicy: 'off' }, 'networkPolicy', /true or false \(got "off"\)/],
  ['unknown client access', { clientAccess: 'cluster' }, 'clientAccess', /one of 'listed-namespaces', 'all-namespaces', 'anywhere' \(got "cluster"\)/],
  ['client namespaces as one string', { clientNamespaces: 'kafka' }, 'clientNamespaces', /list of strings/],
  ['client namespace that is not a namespace name', { clientNamespaces: ['Kafka_Prod'] }, 'clientNamespaces[0]', /DNS label/],
  ['the ensemble\'s own namespace listed as a client namespace', { clientNamespaces: ['zk'] }, 'clientNamespaces[0]', /own namespace, whose pods may always connect/],
  ['client namespaces listed while every namespace is admitted', { clientAccess: 'all-namespaces', clientNamespaces: ['kafka'] }, 'clientNamespaces', /has no effect with clientAccess 'all-namespaces'.*clientAccess 'listed-namespaces'/],
  ['client namespace labels while any address is admitted', { clientAccess: 'anywhere', clientNamespaceLabels: { team: 'data' } }, 'clientNamespaceLabels', /has no effect with clientAccess 'anywhere'/],
  ['client pod labels narrowing any address', { clientAccess: 'anywhere', clientPodLabels: { app: 'kafka' } }, 'clientPodLabels', /cannot narrow clientAccess 'anywhere'.*use clientAccess 'all-namespaces'/],
  ['empty client namespace labels, which would select every namespace', { clientNamespaceLabels: {} }, 'clientNamespaceLabels', /must name at least one label: an empty selector selects every namespace; for that, set clientAccess: 'all-namespaces'/],
  ['empty client pod labels', { clientPodLabels: {} }, 'clientPodLabels', /must name at least one label: .*which is what leaving it out does/],
  ['empty metrics namespace labels, which would let every namespace scrape', { metricsNamespaceLabels: {} }, 'metricsNamespaceLabels', /must name at least one label: an empty selector would let every namespace scrape/],
  ['empty metrics pod labels', { metricsPodLabels: {} }, 'metricsPodLabels', /must name at least one label/],
  ['empty DNS namespace labels', { dnsNamespaceLabels: {} }, 'dnsNamespaceLabels', /must name at least one label: .*DNS traffic into every namespace/],
  ['empty DNS pod labels', { dnsPodLabels: {} }, 'dnsPodLabels', /must name at least one label: .*every pod of the DNS namespace/],
  ['client pod label key with a space', { clientPodLabels: { 'zookeeper client': 'true' } }, 'clientPodLabels.zookeeper client', /not a valid key/],
  ['DNS pod label key with an upper-case prefix', { dnsPodLabels: { 'K8s.io/app': 'dns' } }, 'dnsPodLabels.K8s.io/app', /not a valid key/],
  ['metrics namespace label value with a space', { metricsNamespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring ns' } }, 'metricsNamespaceLabels.kubernetes.io/metadata.name', /label value/],
  ['client pod label value that is not a string', { clientPodLabels: { client: true } }, 'clientPodLabels.client', /must be a string/],
  ['namespace labels written as a list', { clientNamespaceLabels: ['team=data'] }, 'clientNamespaceLabels', /map of strings to strings \(got a list\)/],
  ['DNS port zero', { dnsPort: 0 }, 'dnsPort', /whole number from 1 to 65535 \(got 0\)/],
  ['DNS port as a string', { dnsPort: '53' }, 'dnsPort', /whole number .*got "53"/],
  ['DNS address without a prefix length', { dnsCidrs: ['169.254.20.10'] }, 'dnsCidrs[0]', /CIDR notation/],
  ['DNS address block with a prefix too long', { dnsCidrs: ['10.0.0.0/33'] }, 'dnsCidrs[0]', /CIDR notation/],
  ['DNS address block given as a host name', { dnsCidrs: ['dns.example.com/32'] }, 'dnsCidrs[0]', /CIDR notation/],
  ['policy settings while the policy is off', { networkPolicy: false, clientNamespaces: ['kafka'] }, 'clientNamespaces', /has no effect with networkPolicy: false/],
  ['misspelt policy setting', { clientNamespace: ['kafka'] }, 'clientNamespace', /is not a setting \(did you mean 'clientNamespaces'\?\)/],
  ['client TLS as a boolean', { clientTls: true }, 'clientTls', /must be one of 'off', 'on', 'only' \(got true\)/],
  ['TLS-only clients spelt as a flag', { clientTls: 'tls-only', tlsIssuer: { name: 'ca' } }, 'clientTls', /must be one of 'off', 'on', 'only'/],
  ['quorumTls not a boolean', { quorumTls: 'yes' }, 'quorumTls', /true or false/],
  ['TLS on without a certificate source', { quorumTls: true }, 'tlsIssuer', /is required when quorumTls or clientTls is on: name a cert-manager Issuer or ClusterIssuer, or set tlsSecretName to an existing Secret with keystore\.p12 and truststore\.p12/],
  ['both an issuer and an existing Secret', { clientTls: 'on', tlsIssuer: { name: 'ca' }, tlsSecretName: 'zk-certs' }, 'tlsSecretName', /cannot be combined with tlsIssuer/],
  ['an issuer while TLS is off', { tlsIssuer: { name: 'ca' } }, 'tlsIssuer', /has no effect while quorumTls is false and clientTls is 'off'/],
  ['an existing Secret while TLS is off', { tlsSecretName: 'zk-certs' }, 'tlsSecretName', /has no effect while quorumTls is false/],
  ['secureClientPort without client TLS', { quorumTls: true, tlsSecretName: 'zk-certs', secureClientPort: 2281 }, 'secureClientPort', /has no effect while clientTls is 'off': set clientTls to 'on' or 'only'/],
  ['secureClientPort on the client port', { clientTls: 'on', tlsSecretName: 'zk-certs', secureClientPort: 2181 }, 'secureClientPort', /must differ from clientPort \(both are 2181, clientPort by default\)/],
  ['secureClientPort on the metrics port', { clientTls: 'only', tlsSecretName: 'zk-certs', secureClientPort: 7000 }, 'secureClientPort', /must differ from metricsPort \(both are 7000, metricsPort by default\)/],
  ['privileged secureClientPort', { clientTls: 'only', tlsSecretName: 'zk-certs', secureClientPort: 443 }, 'secureClientPort', /from 1024 to 65535/],
  ['invalid issuer kind', { quorumTls: true, tlsIssuer: { name: 'ca', kind: 'VaultIssuer' } }, 'tlsIssuer.kind', /must be one of 'Issuer', 'ClusterIssuer' \(got "VaultIssuer"\)/],
  ['issuer without a name', { quorumTls: true, tlsIssuer: { kind: 'ClusterIssuer' } }, 'tlsIssuer.name', /is required/],
  ['issuer as a plain string', { quorumTls: true, tlsIssuer: 'ca' }, 'tlsIssuer', /must be an object with any of name, kind, group/],
  ['unknown issuer field', { quorumTls: true, tlsIssuer: { name: 'ca', namespace: 'cert-manager' } }, 'tlsIssuer.namespace', /is not a setting/],
  ['invalid existing Secret name', { quorumTls: true, tlsSecretName: 'ZK_Certs' }, 'tlsSecretName', /DNS subdomain/],
  ['password Secret without a key', { quorumTls: true, tlsSecretName: 'zk-certs', tlsPasswordSecret: { name: 'zk-pw' } }, 'tlsPasswordSecret.key', /is required/],
  ['password Secret key with a slash', { quorumTls: true, tlsSecretName: 'zk-certs', tlsPasswordSecret: { name: 'zk-pw', key: 'a/b' } }, 'tlsPasswordSecret.key', /must be a Secret key/],
  ['quorum TLS on a single member', { replicas: 1, quorumTls: true, tlsSecretName: 'zk-certs' }, 'quorumTls', /needs more than one member/],
  ['an unknown quorum TLS step', { quorumTls: 'on', tlsSecretName: 'zk-certs' }, 'quorumTls', /must be true or false, or a step of turning it on or off in a running ensemble: 'accept' \(members accept TLS, connect in plaintext\) or 'prefer' \(members connect over TLS, accept both\) \(got "on"\)/],
  ['a quorum TLS step on a single member', { replicas: 1, quorumTls: 'accept', tlsSecretName: 'zk-certs' }, 'quorumTls', /needs more than one member/],
  ['a quorum TLS step without a certificate source', { quorumTls: 'prefer' }, 'tlsIssuer', /is required when quorumTls or clientTls is on/],
  ['portUnification in zoo.cfg', { additionalConfig: { portUnification: 'true' } }, 'additionalConfig.portUnification', /use quorumTls \('accept' and 'prefer'/],
  ['a keystore password in zoo.cfg', { additionalConfig: { 'ssl.quorum.keyStore.password': 'changeit' } }, 'additionalConfig.ssl.quorum.keyStore.password', /use tlsPasswordSecret/],
  ['hostname verification turned off', { additionalConfig: { 'ssl.quorum.hostnameVerification': 'false' } }, 'additionalConfig.ssl.quorum.hostnameVerification', /hostname verification stays on/],
  ['sslQuorum in zoo.cfg', { additionalConfig: { sslQuorum: 'true' } }, 'additionalConfig.sslQuorum', /use quorumTls/],
  ['another keystore location', { additionalConfig: { 'ssl.keyStore.location': '/tmp/k.p12' } }, 'additionalConfig.ssl.keyStore.location', /use tlsIssuer or tlsSecretName/],
  ['client SASL without a Secret', { clientSasl: true, saslClientUsers: { app: 'app-password' } }, 'saslSecretName', /is required when clientSasl or quorumSasl is on: name the existing Secret/],
  ['quorum SASL without a Secret', { quorumSasl: true }, 'saslSecretName', /is required when clientSasl or quorumSasl is on/],
  ['client SASL without users', { clientSasl: true, saslSecretName: 'zk-sasl' }, 'saslClientUsers', /needs at least one user when clientSasl is on/],
  ['client SASL with an empty user map', { clientSasl: true, saslSecretName: 'zk-sasl', saslClientUsers: {} }, 'saslClientUsers', /needs at least one user/],
  ['a client user without a name', { clientSasl: true, saslSecretName: 'zk-sasl', saslClientUsers: { '': 'pw' } }, 'saslClientUsers.', /must be a user name: a letter, then up to 63 letters, digits, '-' and '_'; '' is not/],
  ['a client user name with a space', { clientSasl: true, saslSecretName: 'zk-sasl', saslClientUsers: { 'my app': 'pw' } }, 'saslClientUsers.my app', /must be a user name/],
  ['a client password key that is no Secret key', { clientSasl: true, saslSecretName: 'zk-sasl', saslClientUsers: { app: 'app/password' } }, 'saslClientUsers.app', /must be a Secret key: 1 to 253 letters, digits/],
  ['a quorum password key that is no Secret key', { quorumSasl: true, saslSecretName: 'zk-sasl', saslQuorumPasswordKey: 'quorum password' }, 'saslQuorumPasswordKey', /must be a Secret key/],
  ['a quorum user that JAAS cannot hold', { quorumSasl: true, saslSecretName: 'zk-sasl', saslQuorumUser: 'zk"user' }, 'saslQuorumUser', /must be a user name/],
  ['an invalid SASL Secret name', { quorumSasl: true, saslSecretName: 'ZK_SASL' }, 'saslSecretName', /DNS subdomain/],
  ['a super digest key without client SASL', { quorumSasl: true, saslSecretName: 'zk-sasl', saslSuperDigestKey: 'super' }, 'saslSuperDigestKey', /has no effect while clientSasl is false/],
  ['client users without client SASL', { quorumSasl: true, saslSecretName: 'zk-sasl', saslClientUsers: { app: 'pw' } }, 'saslClientUsers', /has no effect while clientSasl is false/],
  ['a quorum password key without quorum SASL', { clientSasl: true, saslSecretName: 'zk-sasl', saslClientUsers: { app: 'pw' }, saslQuorumPasswordKey: 'qp' }, 'saslQuorumPasswordKey', /has no effect while quorumSasl is false/],
  ['a SASL Secret while SASL is off', { saslSecretName: 'zk-sasl' }, 'saslSecretName', /has no effect while clientSasl and quorumSasl are false/],
  ['quorum SASL on a single member', { replicas: 1, quorumSasl: true, saslSecretName: 'zk-sasl' }, 'quorumSasl', /needs more than one member/],
  ['client SASL as a string', { clientSasl: 'yes' }, 'clientSasl', /must be true or false/],
  ['enforce.auth in zoo.cfg', { additionalConfig: { 'enforce.auth.enabled': 'true' } }, 'additionalConfig.enforce.auth.enabled', /use clientSasl/],
  ['quorum.auth in zoo.cfg', { additionalConfig: { 'quorum.auth.enableSasl': 'true' } }, 'additionalConfig.quorum.auth.enableSasl', /use quorumSasl/],
  ['a managed zoo.cfg key as a JVM flag, which zoo.cfg would silently override', { jvmOptions: ['-Dzookeeper.4lw.commands.whitelist=*'] }, 'jvmOptions[0]', /^sets zoo.cfg's 4lw.commands.whitelist, which the construct manages and zoo.cfg would override; use nothing/],
  ['the AdminServer address as a JVM flag', { jvmOptions: ['-Dzookeeper.admin.serverAddress=0.0.0.0'] }, 'jvmOptions[0]', /^sets zoo.cfg's admin.serverAddress/],
  ['a pull secret listed twice', { imagePullSecrets: ['registry', 'mirror', 'registry'] }, 'imagePullSecrets[2]', /^repeats imagePullSecrets\[0\]; list each entry once$/],
  ['a client namespace listed twice', { clientNamespaces: ['kafka', 'kafka'] }, 'clientNamespaces[1]', /^repeats clientNamespaces\[0\]/],
  ['a JAAS file as a JVM option', { jvmOptions: ['-Djava.security.auth.login.config=/etc/jaas.conf'] }, 'jvmOptions[0]', /clientSasl and quorumSasl build the JAAS file/],
];

describe('invalid settings', () => {
  test.each(BAD_INPUTS)('%s is rejected with a message naming the setting', (_what, props, setting, message) => {
    const issues = issuesOf(props);
    expect(issues).toContainEqual({ setting, message: expect.stringMatching(message) });
  });

  test('a missing namespace is rejected when the chart has none', () => {
    expect(issuesOf({}, null)).toContainEqual({ setting: 'namespace', message: expect.stringMatching(/is required/) });
  });

  test('every problem is reported at once, in a message that lists each setting', () => {
    let message = '';
    try {
      resolveEnsemble({ replicas: 4, clientPort: 80, name: 'Bad' } as ZooKeeperEnsembleProps, 'zk');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'Invalid settings for ZooKeeper ensemble \'zookeeper\':',
      expect.stringMatching(/^ {2}- name: /),
      expect.stringMatching(/^ {2}- replicas: must be odd/),
      expect.stringMatching(/^ {2}- clientPort: must be a whole number from 1024 to 65535 \(got 80\)/),
    ]);
  });

  test('a namespace of the wrong type is reported once, as what it is, not also as missing', () => {
    expect(issuesOf({ namespace: 123 }, null)).toEqual([{ setting: 'namespace', message: 'must be a string (got 123)' }]);
  });

  test.each([
    ['clientTls', { clientTls: 'yes', tlsIssuer: { name: 'ca' }, secureClientPort: 2282 }],
    ['quorumTls', { quorumTls: 'yes', tlsSecretName: 'zk-tls' }],
    ['clientSasl', { clientSasl: 'yes', saslSecretName: 'zk-sasl', saslClientUsers: { app: 'app-password' }, saslSuperDigestKey: 'super' }],
    ['quorumSasl', { quorumSasl: 'yes', saslSecretName: 'zk-sasl', saslQuorumUser: 'quorum' }],
    ['mode', { mode: 'clustr', replicas: 5, observers: 2 }],
  ])('an invalid %s is the only issue: the settings that depend on it are not judged by its default', (setting, props) => {
    expect(issuesOf(props).map((i) => i.setting)).toEqual([setting]);
  });

  test.each([['null', null], ['a list', []], ['a string', 'zk']])('settings given as %s are a settings error naming them, from the ensemble and from the chart', (what, props) => {
    const { App, Chart } = require('cdk8s');
    const message = `props: must be an object of settings, such as { namespace: 'zk' }, or left out for the defaults (got ${what === 'a string' ? '"zk"' : what})`;
    expect(() => new ZooKeeperEnsemble(new Chart(new App(), 'c', { namespace: 'zk' }), 'ensemble', props as any)).toThrow(ZooKeeperSettingsError);
    expect(() => new ZooKeeperEnsemble(new Chart(new App(), 'c', { namespace: 'zk' }), 'ensemble', props as any)).toThrow(`Invalid settings for ZooKeeper ensemble 'c/ensemble':\n  - ${message}`);
    expect(() => new ZooKeeperChart(new App(), 'c', props as any)).toThrow(`Invalid settings for ZooKeeper ensemble 'c':\n  - ${message}`);
  });

  test('the chart rejects a non-boolean createNamespace', () => {
    expect(() => new ZooKeeperChart(new (require('cdk8s').App)(), 'c', { createNamespace: 'no' as any })).toThrow(ZooKeeperSettingsError);
    expect(() => new ZooKeeperChart(new (require('cdk8s').App)(), 'c', { createNamespace: 'no' as any })).toThrow(/createNamespace: must be true or false/);
  });
});

describe('a failed synth', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zk-atomic-')), 'dist');
    synthesizeAtomically((app) => new ZooKeeperChart(app, 'zookeeper', { namespace: 'zookeeper' }), outdir);
  });
  afterEach(() => fs.rmSync(path.dirname(outdir), { recursive: true, force: true }));

  const snapshotOf = (dir: string) => fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]);

  test('leaves the previous output byte-for-byte as it was, even when a valid chart came first', () => {
    // GIVEN a synthesized output directory
    const before = snapshotOf(outdir);
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((line) => { errors.push(String(line)); });

    // WHEN an app with one good and one bad chart is synthesized into it
    runSynthesis((app) => {
      new ZooKeeperChart(app, 'good', { namespace: 'good' });
      new ZooKeeperChart(app, 'bad', { namespace: 'bad', replicas: 2 });
    }, outdir);
    spy.mockRestore();

    // THEN it reports the problem, fails the process, and the directory is untouched
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
    expect(errors.join('\n')).toMatch(/replicas: must be odd[\s\S]*Nothing was written/);
    expect(snapshotOf(outdir)).toEqual(before);
    expect(fs.readdirSync(path.dirname(outdir))).toEqual(['dist']);
  });

  test('a successful synth replaces the directory completely, dropping files of removed charts', () => {
    fs.writeFileSync(path.join(outdir, 'stale.k8s.yaml'), 'kind: Leftover\n');
    synthesizeAtomically((app) => new ZooKeeperChart(app, 'other', { namespace: 'other' }), outdir);
    expect(fs.readdirSync(outdir)).toEqual(['other.k8s.yaml']);
  });
});
