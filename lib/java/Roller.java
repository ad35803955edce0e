// The leader-last roll (docs/rolling.md): replaces the voters whose pods are not of the
// StatefulSet's current revision, one at a time, followers first and the leader last, each only
// after the one before is back, serving and synced. The voters' StatefulSet uses OnDelete, so
// nothing else replaces them; an eviction (never a DELETE) lets the PodDisruptionBudget refuse a
// second member down. Run by the roll Job's pod with the server image's JVM and the server's lib/
// on the classpath (Jackson for JSON), as a single-file source program, like PostDeployCheck.java.
//
// It talks to the API server over HTTPS with the pod's service-account token and CA, and asks the
// members themselves who leads (`srvr` on the client port), how many followers are synced and how
// many voters its configuration counts (the leader's metrics port: synced_followers, quorum_size).
// Exit 0: every voter is of the current revision, one leader counting exactly this Job's voters,
// all followers synced.
// Exit 1: the roll stopped; the last line names the member and what was seen. Environment:
//   ZK_ROLL_NAMESPACE, ZK_ROLL_STATEFULSET  the voters' StatefulSet
//   ZK_ROLL_TEMPLATE_HASH   the pod template this Job rolls to (annotation cdk8s-zookeeper/template-hash)
//   ZK_ROLL_VOTERS          the voters' host names, space-separated, in ordinal order
//   ZK_ROLL_CLIENT_PORT, ZK_ROLL_METRICS_PORT
//   ZK_ROLL_MEMBER_SECONDS  the most one member may take to be back, serving and synced
//   ZK_ROLL_TEMPLATE_WAIT_SECONDS  the most it waits for the StatefulSet to carry the template
//   KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT  set by the kubelet
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.zookeeper.client.FourLetterWordMain;

public class Roller {
  static final Path ACCOUNT_DIR = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");
  static final String HASH_ANNOTATION = "cdk8s-zookeeper/template-hash";
  static final String REVISION_LABEL = "controller-revision-hash";
  static final ObjectMapper JSON = new ObjectMapper();

  /** The roll stopped; the message names the member and what was seen. */
  static final class RollStopped extends Exception {
    RollStopped(String message) { super(message); }
  }

  public static void main(String[] args) {
    long start = System.nanoTime();
    try {
      Roller roller = new Roller(System.getenv());
      String done = roller.roll();
      System.out.printf("roll: DONE %s, in %.1f s%n", done, (System.nanoTime() - start) / 1e9);
      System.exit(0);
    } catch (RollStopped e) {
      System.out.printf("roll: STOPPED after %.1f s: %s%n", (System.nanoTime() - start) / 1e9, e.getMessage());
      System.exit(1);
    } catch (Exception e) {
      System.out.printf("roll: STOPPED after %.1f s: %s: %s%n", (System.nanoTime() - start) / 1e9, e.getClass().getSimpleName(), e.getMessage());
      System.exit(2);
    }
  }

  final String namespace;
  final String statefulSet;
  final String templateHash;
  final List<String> voters;
  final int clientPort;
  final int metricsPort;
  final long memberMillis;
  final long templateWaitMillis;
  final boolean tls = Boolean.getBoolean("zookeeper.client.secure");
  final Api api;

  Roller(Map<String, String> env) throws Exception {
    namespace = required(env, "ZK_ROLL_NAMESPACE");
    statefulSet = required(env, "ZK_ROLL_STATEFULSET");
    templateHash = required(env, "ZK_ROLL_TEMPLATE_HASH");
    voters = Arrays.asList(required(env, "ZK_ROLL_VOTERS").trim().split("\\s+"));
    clientPort = Integer.parseInt(required(env, "ZK_ROLL_CLIENT_PORT"));
    metricsPort = Integer.parseInt(required(env, "ZK_ROLL_METRICS_PORT"));
    memberMillis = Long.parseLong(required(env, "ZK_ROLL_MEMBER_SECONDS")) * 1000;
    templateWaitMillis = Long.parseLong(required(env, "ZK_ROLL_TEMPLATE_WAIT_SECONDS")) * 1000;
    api = new Api("https://" + required(env, "KUBERNETES_SERVICE_HOST") + ":" + env.getOrDefault("KUBERNETES_SERVICE_PORT", "443"));
  }

  static String required(Map<String, String> env, String key) {
    String value = env.get(key);
    if (value == null || value.isBlank()) throw new IllegalArgumentException(key + " is not set: the pod spec (or the kubelet) sets it");
    return value;
  }

  static String podName(String host) {
    int dot = host.indexOf('.');
    return dot < 0 ? host : host.substring(0, dot);
  }

  // ---- the roll ---------------------------------------------------------------------------------

  String roll() throws Exception {
    String revision = awaitTemplate();
    int rolled = 0;
    while (true) {
      ensureCurrent();
      List<String> outdated = new ArrayList<>();
      for (String host : voters) {
        JsonNode pod = api.pod(namespace, podName(host));
        if (pod == null || !revision.equals(pod.path("metadata").path("labels").path(REVISION_LABEL).asText())) outdated.add(host);
      }
      if (outdated.isEmpty()) {
        Health health = awaitHealthy(null, memberMillis, null);
        return "every voter of revision " + revision + " (" + rolled + " replaced), leader " + podName(health.leader) + ", " + health.synced + " followers synced";
      }
      String next = next(outdated);
      replace(next, revision);
      rolled++;
    }
  }

  /** Waits until the StatefulSet carries this Job's template and its controller saw it; its revision. */
  String awaitTemplate() throws Exception {
    long deadline = System.currentTimeMillis() + templateWaitMillis;
    String seen = "";
    while (true) {
      JsonNode sts = api.statefulSet(namespace, statefulSet);
      String hash = sts.path("spec").path("template").path("metadata").path("annotations").path(HASH_ANNOTATION).asText();
      boolean observed = sts.path("status").path("observedGeneration").asLong(-1) >= sts.path("metadata").path("generation").asLong();
      String revision = sts.path("status").path("updateRevision").asText();
      if (templateHash.equals(hash) && observed && !revision.isEmpty()) {
        System.out.printf("roll: the StatefulSet %s carries template %s, revision %s%n", statefulSet, templateHash, revision);
        return revision;
      }
      seen = "it carries template " + (hash.isEmpty() ? "(none)" : hash) + (observed ? "" : ", not yet observed by its controller");
      if (System.currentTimeMillis() > deadline) {
        throw new RollStopped("the StatefulSet " + statefulSet + " did not carry template " + templateHash + " within " + templateWaitMillis / 1000 + " s: " + seen + "; nothing was rolled");
      }
      Thread.sleep(2000);
    }
  }

  /** Stops (successfully) when a newer apply changed the template: that template's own Job rolls it. */
  void ensureCurrent() throws Exception {
    JsonNode sts = api.statefulSet(namespace, statefulSet);
    String hash = sts.path("spec").path("template").path("metadata").path("annotations").path(HASH_ANNOTATION).asText();
    if (!templateHash.equals(hash)) {
      System.out.printf("roll: DONE superseded: the StatefulSet now carries template %s, whose own Job rolls it%n", hash);
      System.exit(0);
    }
  }

  /**
   * The next voter to replace: one that does not serve first (replacing it costs nothing), then the
   * followers, highest ordinal first, and the leader last. Anything else waits for the ensemble to
   * be whole: every voter serving, the leader counting exactly this Job's voters, every follower synced.
   */
  String next(List<String> outdated) throws Exception {
    Map<String, String> modes = modes();
    for (String host : outdated) {
      if (modes.get(host) == null && servingVoters(modes) >= quorum()) {
        System.out.printf("roll: %s is outdated and does not serve: it goes first%n", podName(host));
        return host;
      }
    }
    Health health = awaitHealthy(null, memberMillis, null);
    List<String> order = new ArrayList<>(outdated);
    order.sort((a, b) -> Integer.compare(voters.indexOf(b), voters.indexOf(a)));
    for (String host : order) if (!host.equals(health.leader)) return host;
    return health.leader;
  }

  /** Evicts one voter and waits until its replacement of this revision is back, serving and synced. */
  void replace(String host, String revision) throws Exception {
    String pod = podName(host);
    JsonNode old = api.pod(namespace, pod);
    String oldUid = old == null ? "" : old.path("metadata").path("uid").asText();
    String role = modes().getOrDefault(host, "not serving");
    long start = System.currentTimeMillis();
    long deadline = start + memberMillis;
    System.out.printf("roll: evicting %s (%s)%n", pod, role);
    while (true) {
      int status = api.evict(namespace, pod);
      if (status == 201 || status == 200 || status == 404) break;
      // 429: the budget allows no disruption now (another member is not Ready): wait, never force.
      if (System.currentTimeMillis() > deadline) throw new RollStopped("the eviction of " + pod + " was refused until the bound of " + memberMillis / 1000 + " s (last status " + status + "); no member was taken down");
      Thread.sleep(2000);
    }
    String seen = "";
    while (System.currentTimeMillis() < deadline) {
      JsonNode current = api.pod(namespace, pod);
      seen = describePod(current, oldUid, revision);
      if (seen.isEmpty()) break;
      Thread.sleep(1000);
    }
    if (!seen.isEmpty()) throw stopped(pod, seen);
    // Where a member's time goes: its pod's way back to Ready, then the ensemble's to whole.
    long ready = System.currentTimeMillis();
    Health health = awaitHealthy(host, deadline - ready, pod);
    System.out.printf("roll: %s is back and synced in %.1f s (Ready after %.1f s; leader %s, %d followers synced)%n",
        pod, (System.currentTimeMillis() - start) / 1e3, (ready - start) / 1e3, podName(health.leader), health.synced);
  }

  RollStopped stopped(String pod, String seen) {
    return new RollStopped(pod + " did not come back within " + memberMillis / 1000 + " s: " + seen
        + "; the roll stops here and takes down no other member (fix the cause and apply: a new template gets its own Job;"
        + " to retry this one, delete this Job and apply again)");
  }

  /** What keeps the pod from counting as replaced, or "" once it is the new revision's and Ready. */
  static String describePod(JsonNode pod, String oldUid, String revision) {
    if (pod == null) return "its pod does not exist yet";
    if (pod.path("metadata").path("uid").asText().equals(oldUid)) return "its old pod is still there (terminating)";
    if (!revision.equals(pod.path("metadata").path("labels").path(REVISION_LABEL).asText())) return "its new pod is not of revision " + revision;
    for (JsonNode condition : pod.path("status").path("conditions")) {
      if ("Ready".equals(condition.path("type").asText()) && "True".equals(condition.path("status").asText())) return "";
    }
    StringBuilder waiting = new StringBuilder("its new pod is not Ready (phase " + pod.path("status").path("phase").asText("?"));
    for (JsonNode container : pod.path("status").path("containerStatuses")) {
      JsonNode state = container.path("state");
      String reason = state.path("waiting").path("reason").asText(state.path("terminated").path("reason").asText(""));
      if (!reason.isEmpty()) waiting.append(", ").append(container.path("name").asText()).append(" ").append(reason);
      if (container.path("restartCount").asInt() > 0) waiting.append(", ").append(container.path("restartCount").asInt()).append(" restarts");
    }
    return waiting.append(")").toString();
  }

  // ---- the ensemble, as its members report it -----------------------------------------------------

  static final class Health {
    final String leader;
    final int synced;
    Health(String leader, int synced) { this.leader = leader; this.synced = synced; }
  }

  int quorum() { return voters.size() / 2 + 1; }

  static long servingVoters(Map<String, String> modes) {
    return modes.values().stream().filter((m) -> m != null).count();
  }

  /** Each voter's mode from `srvr`, null when it does not serve. */
  Map<String, String> modes() {
    Map<String, String> modes = new HashMap<>();
    for (String host : voters) {
      String mode = null;
      try {
        Matcher m = Pattern.compile("^Mode: (\\w+)", Pattern.MULTILINE).matcher(FourLetterWordMain.send4LetterWord(host, clientPort, "srvr", tls, 5000));
        if (m.find()) mode = m.group(1);
      } catch (Exception ignored) {
        // Unreachable or not serving: both mean it does not count now.
      }
      modes.put(host, mode);
    }
    return modes;
  }

  /**
   * Waits until every voter serves, exactly one leads, the leader's configuration counts exactly
   * this Job's voters, and the leader has every follower synced. With `member` given, a failure
   * names it: it is the one the roll waits for.
   *
   * The count matters under dynamic membership: a joiner serves as a follower, and counts among the
   * leader's synced_followers, before its `reconfig -add`; a member scaled away stays a voter until
   * its `reconfig -remove`. Taking a voter down then would leave fewer voters than the Job assumes.
   */
  Health awaitHealthy(String member, long millis, String pod) throws Exception {
    long deadline = System.currentTimeMillis() + Math.max(millis, 0);
    String seen;
    while (true) {
      Map<String, String> modes = modes();
      List<String> leaders = new ArrayList<>();
      List<String> down = new ArrayList<>();
      for (String host : voters) {
        if ("leader".equals(modes.get(host))) leaders.add(host);
        if (modes.get(host) == null) down.add(podName(host));
      }
      if (!down.isEmpty()) seen = "not serving: " + String.join(", ", down);
      else if (leaders.size() != 1) seen = leaders.size() + " leaders";
      else {
        String leader = leaders.get(0);
        Map<String, Double> metrics = leaderMetrics(leader);
        double counted = metrics.getOrDefault("quorum_size", -1.0);
        double synced = metrics.getOrDefault("synced_followers", -1.0);
        if (counted == voters.size() && synced == voters.size() - 1) return new Health(leader, (int) synced);
        seen = counted != voters.size()
            ? "the leader " + podName(leader) + " counts " + (counted < 0 ? "no" : String.valueOf((int) counted)) + " voters (quorum_size), this Job "
                + voters.size() + ": a member has yet to join or leave the voters"
            : "the leader " + podName(leader) + " has synced_followers " + synced + " of " + (voters.size() - 1);
      }
      if (System.currentTimeMillis() > deadline) {
        if (pod != null) throw stopped(pod, seen);
        throw new RollStopped("the ensemble was not whole within " + millis / 1000 + " s (" + seen + "); no member was taken down");
      }
      Thread.sleep(1000);
    }
  }

  /** The leader's unlabelled metrics by name; none while it does not answer (which counts as not whole). */
  Map<String, Double> leaderMetrics(String leader) {
    Map<String, Double> values = new HashMap<>();
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + leader + ":" + metricsPort + "/metrics")).timeout(Duration.ofSeconds(5)).build();
      for (String line : http.send(request, HttpResponse.BodyHandlers.ofString()).body().split("\n")) {
        String[] parts = line.trim().split("\\s+");
        if (parts.length == 2 && !line.startsWith("#")) {
          try { values.put(parts[0], Double.parseDouble(parts[1])); } catch (NumberFormatException ignored) { }
        }
      }
    } catch (Exception ignored) {
      // Not answering yet counts as not whole.
    }
    return values;
  }

  // ---- the API server ---------------------------------------------------------------------------

  /** The three calls the Role grants, with the pod's own token (read on every call: it rotates). */
  static final class Api {
    final String base;
    final HttpClient http;

    Api(String base) throws Exception {
      this.base = base;
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate ca : factory.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(ACCOUNT_DIR.resolve("ca.crt"))))) {
        trust.setCertificateEntry("ca-" + i++, ca);
      }
      TrustManagerFactory managers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      managers.init(trust);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, managers.getTrustManagers(), null);
      this.http = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
    }

    JsonNode statefulSet(String namespace, String name) throws Exception {
      HttpResponse<String> reply = call("GET", "/apis/apps/v1/namespaces/" + namespace + "/statefulsets/" + name, null);
      if (reply.statusCode() != 200) throw new RollStopped("GET statefulset " + name + ": " + statusMessage(reply));
      return JSON.readTree(reply.body());
    }

    /** The pod, or null when it does not exist. */
    JsonNode pod(String namespace, String name) throws Exception {
      HttpResponse<String> reply = call("GET", "/api/v1/namespaces/" + namespace + "/pods/" + name, null);
      if (reply.statusCode() == 404) return null;
      if (reply.statusCode() != 200) throw new RollStopped("GET pod " + name + ": " + statusMessage(reply));
      return JSON.readTree(reply.body());
    }

    /** The eviction's HTTP status: 201 evicted, 429 refused by the budget, 404 already gone. */
    int evict(String namespace, String name) throws Exception {
      String body = JSON.writeValueAsString(Map.of(
          "apiVersion", "policy/v1", "kind", "Eviction", "metadata", Map.of("name", name, "namespace", namespace)));
      HttpResponse<String> reply = call("POST", "/api/v1/namespaces/" + namespace + "/pods/" + name + "/eviction", body);
      int status = reply.statusCode();
      if (status == 429) System.out.printf("roll: eviction of %s refused for now: %s%n", name, statusMessage(reply));
      else if (status != 200 && status != 201 && status != 404) throw new RollStopped("evicting " + name + ": " + statusMessage(reply));
      return status;
    }

    HttpResponse<String> call(String method, String path, String body) throws Exception {
      String token = Files.readString(ACCOUNT_DIR.resolve("token")).trim();
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(15))
          .header("Authorization", "Bearer " + token).header("Accept", "application/json");
      request = body == null ? request.GET() : request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
      IOException last = null;
      // A lost connection to the API server (a restart, a failover) is retried, an answer is not.
      for (int attempt = 0; attempt < 5; attempt++) {
        try {
          return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
          last = e;
          Thread.sleep(2000);
        }
      }
      throw last;
    }

    /** The Status object's code, reason and message: what the API server said, never the token. */
    static String statusMessage(HttpResponse<String> reply) {
      try {
        JsonNode status = JSON.readTree(reply.body());
        return reply.statusCode() + " " + status.path("reason").asText() + ": " + status.path("message").asText();
      } catch (Exception e) {
        return "HTTP " + reply.statusCode();
      }
    }
  }
}
