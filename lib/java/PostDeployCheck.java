// The post-deploy check: proves a running ensemble does what its users need, with ZooKeeper's own
// Java client, the way applications use it (docs/post-deploy-check.md). The Job's pod runs it with
// the server image's JVM and the server's lib/ on the classpath, as a single-file source program
// (`java -cp '<lib>/*' PostDeployCheck.java`, JDK 11+): no jar to build or publish, and the source
// is what the ConfigMap shows. That launch mode takes one file, hence the nested classes.
//
// Each step prints one line, PASS or FAIL with what it saw; the first failure ends the run (exit 1)
// after the cleanup, and the last line names it. Every znode it creates lies under
// <root>/<run id>, removed at the end whatever happened. Environment (set by the pod spec):
//   ZK_CHECK_SERVICE       host:port of the client Service
//   ZK_CHECK_VOTERS        the voters' host names, space-separated; ZK_CHECK_OBSERVERS the observers'
//   ZK_CHECK_CLIENT_PORT   the port the check uses on each member (the TLS one when TLS is on)
//   ZK_CHECK_METRICS_PORT  the members' metrics port (the leader's synced_followers)
//   ZK_CHECK_QUORUM        voters needed for a quorum
//   ZK_CHECK_STEP_SECONDS  the most one step may take, retries included
//   ZK_CHECK_ROOT          the znode under which each run creates its own
//   ZK_CHECK_SASL_USER, ZK_CHECK_SASL_PASSWORD_FILE  with client SASL: who the check logs in as
//   ZK_CHECK_MEMBERSHIP    `dynamic` under dynamic membership: the ensemble step also waits until
//                          the leader's /zookeeper/config lists exactly ZK_CHECK_VOTERS as voters
//                          (a joiner serves as a follower before it is added)
//   ZK_CHECK_MEMBERSHIP_SECONDS  with `dynamic`: the ensemble step's bound instead of a step's (the
//                          joiners of a scale-up are added one at a time, after their sync)
//   ZK_CHECK_FAIL_AFTER    not in the pod spec: the e2e suite stops a run after this step, to
//                          prove the cleanup of a failed run (scenario 21.11)
// Client TLS comes from the zookeeper.* system properties on the command line, as for any client.
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZKUtil;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.FourLetterWordMain;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

public class PostDeployCheck {
  /** How many contenders the election runs and how many instances register. */
  static final int PARTICIPANTS = 3;
  static final int SESSION_TIMEOUT_MS = 20_000;

  public static void main(String[] args) throws Exception {
    long start = System.nanoTime();
    PostDeployCheck check;
    try {
      check = new PostDeployCheck(new Env(System.getenv()));
    } catch (IllegalArgumentException | IOException e) {
      System.out.println("post-deploy-check: FAILED before the first step: " + e.getMessage());
      System.exit(2);
      return;
    }
    String failed = check.run();
    double seconds = (System.nanoTime() - start) / 1e9;
    if (failed == null) {
      System.out.printf("post-deploy-check: PASSED, every step, in %.1f s%n", seconds);
      System.exit(0);
    }
    System.out.printf("post-deploy-check: FAILED at step '%s' after %.1f s%n", failed, seconds);
    System.exit(1);
  }

  /** What the pod spec tells the check. */
  static final class Env {
    final String service;
    final List<String> voters;
    final List<String> observers;
    final int clientPort;
    final int metricsPort;
    final int quorum;
    final long stepMillis;
    final String root;
    final String saslUser;
    final Path saslLoginFile;
    final boolean dynamic;
    /** The ensemble step's bound: a step's, or under dynamic membership the wait for the new voters. */
    final long ensembleMillis;
    final boolean tls = Boolean.getBoolean("zookeeper.client.secure");
    /** Never set by the Job: the end-to-end suite sets it to prove cleanup after a failed step. */
    final String failAfter;

    Env(Map<String, String> e) {
      service = required(e, "ZK_CHECK_SERVICE");
      voters = words(required(e, "ZK_CHECK_VOTERS"));
      observers = words(e.getOrDefault("ZK_CHECK_OBSERVERS", ""));
      clientPort = Integer.parseInt(required(e, "ZK_CHECK_CLIENT_PORT"));
      metricsPort = Integer.parseInt(required(e, "ZK_CHECK_METRICS_PORT"));
      quorum = Integer.parseInt(required(e, "ZK_CHECK_QUORUM"));
      stepMillis = Long.parseLong(required(e, "ZK_CHECK_STEP_SECONDS")) * 1000;
      root = required(e, "ZK_CHECK_ROOT");
      saslUser = e.get("ZK_CHECK_SASL_USER");
      saslLoginFile = saslUser == null ? null : Path.of(required(e, "ZK_CHECK_SASL_PASSWORD_FILE"));
      failAfter = e.get("ZK_CHECK_FAIL_AFTER");
      dynamic = "dynamic".equals(e.get("ZK_CHECK_MEMBERSHIP"));
      ensembleMillis = dynamic ? Long.parseLong(required(e, "ZK_CHECK_MEMBERSHIP_SECONDS")) * 1000 : stepMillis;
    }

    static String required(Map<String, String> e, String key) {
      String value = e.get(key);
      if (value == null || value.isEmpty()) throw new IllegalArgumentException(key + " is not set: the pod spec sets it");
      return value;
    }

    static List<String> words(String value) {
      return value.isBlank() ? List.of() : Arrays.asList(value.trim().split("\\s+"));
    }
  }

  /** A step failed; the message says what was seen. */
  static final class CheckFailure extends Exception {
    CheckFailure(String message) { super(message); }
  }

  interface Step { String run() throws Exception; }

  private final Env env;
  private final String runPath;
  private final List<ACL> acl;
  private final List<ZooKeeper> sessions = new ArrayList<>();
  private ZooKeeper main;
  private List<String> serving = List.of();

  PostDeployCheck(Env env) throws IOException {
    this.env = env;
    this.runPath = env.root + "/run-" + System.currentTimeMillis() + "-" + ProcessHandle.current().pid();
    // With SASL, what the check creates is its own user's alone: the anonymous step then has an
    // ACL to be refused by, besides the server's enforcement.
    this.acl = env.saslUser == null ? ZooDefs.Ids.OPEN_ACL_UNSAFE : ZooDefs.Ids.CREATOR_ALL_ACL;
    if (env.saslUser != null) installSaslLogin(env.saslUser, Files.readString(env.saslLoginFile));
  }

  /** Runs the steps in order until one fails; returns its name, or null when all passed. */
  String run() {
    Map<String, Step> steps = new java.util.LinkedHashMap<>();
    steps.put("ensemble", this::ensemble);
    steps.put("crud", this::crud);
    steps.put("ephemeral", this::ephemeral);
    steps.put("sequential", this::sequential);
    steps.put("watch", this::watch);
    steps.put("leader-election", this::leaderElection);
    steps.put("service-discovery", this::serviceDiscovery);
    if (env.saslUser != null) steps.put("anonymous-refused", this::anonymousRefused);
    String failed = null;
    try {
      for (Map.Entry<String, Step> step : steps.entrySet()) {
        if (!runStep(step.getKey(), step.getValue())) {
          failed = step.getKey();
          break;
        }
        if (step.getKey().equals(env.failAfter)) {
          System.out.printf("post-deploy-check: FAIL injected: stopped after step '%s' as ZK_CHECK_FAIL_AFTER asks%n", step.getKey());
          failed = "injected";
          break;
        }
      }
    } finally {
      if (!runStep("cleanup", this::cleanup) && failed == null) failed = "cleanup";
    }
    return failed;
  }

  private boolean runStep(String name, Step step) {
    long start = System.nanoTime();
    try {
      String seen = step.run();
      System.out.printf("post-deploy-check: PASS %s: %s [%.1f s]%n", name, seen, (System.nanoTime() - start) / 1e9);
      return true;
    } catch (Exception e) {
      String why = e instanceof CheckFailure ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
      System.out.printf("post-deploy-check: FAIL %s: %s [%.1f s]%n", name, why, (System.nanoTime() - start) / 1e9);
      return false;
    }
  }

  // ---- the ensemble: one leader, every voter synced, observers following ----------------------

  /** What one member's `srvr` said: its mode, or why there is none. */
  static final class MemberState {
    final String host;
    final String mode;
    final String problem;

    MemberState(String host, String mode, String problem) {
      this.host = host;
      this.mode = mode;
      this.problem = problem;
    }
  }

  private String ensemble() throws Exception {
    long deadline = System.currentTimeMillis() + env.ensembleMillis;
    String last;
    while (true) {
      List<MemberState> states = new ArrayList<>();
      for (String host : env.voters) states.add(memberState(host));
      for (String host : env.observers) states.add(memberState(host));
      last = judgeEnsemble(states);
      if (last.startsWith("OK ") && env.dynamic) {
        String membership = judgeMembership(states);
        last = membership.startsWith("OK ") ? last + "; " + membership.substring(3) : membership;
      }
      if (last.startsWith("OK ")) {
        serving = states.stream().filter((s) -> s.mode != null).map((m) -> m.host).collect(Collectors.toList());
        return last.substring(3);
      }
      if (System.currentTimeMillis() > deadline) throw new CheckFailure(last);
      Thread.sleep(1000);
    }
  }

  private MemberState memberState(String host) {
    try {
      String reply = FourLetterWordMain.send4LetterWord(host, env.clientPort, "srvr", env.tls, 5000);
      Matcher mode = Pattern.compile("^Mode: (\\w+)", Pattern.MULTILINE).matcher(reply);
      if (mode.find()) return new MemberState(host, mode.group(1), null);
      return new MemberState(host, null, reply.contains("not currently serving") ? "up but not serving (not in a quorum)" : "no Mode in its srvr reply");
    } catch (Exception e) {
      return new MemberState(host, null, "unreachable (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
    }
  }

  /** "OK <summary>" when the ensemble is as it should be, otherwise what is wrong. */
  private String judgeEnsemble(List<MemberState> states) throws Exception {
    List<MemberState> voters = states.subList(0, env.voters.size());
    List<MemberState> observers = states.subList(env.voters.size(), states.size());
    List<String> leaders = voters.stream().filter((s) -> "leader".equals(s.mode) || "standalone".equals(s.mode)).map((m) -> m.host).collect(Collectors.toList());
    List<String> problems = new ArrayList<>();
    for (MemberState s : states) if (s.problem != null) problems.add(shortName(s.host) + " " + s.problem);
    for (MemberState s : voters) if (s.mode != null && !List.of("leader", "follower", "standalone").contains(s.mode)) problems.add(shortName(s.host) + " is a voter in mode " + s.mode);
    for (MemberState s : observers) if (s.mode != null && !"observer".equals(s.mode)) problems.add(shortName(s.host) + " is an observer in mode " + s.mode);
    long servingVoters = voters.stream().filter((s) -> s.mode != null).count();
    String count = servingVoters + " of " + env.voters.size() + " voters serve, a quorum is " + env.quorum;
    if (servingVoters < env.quorum) return "no quorum: " + count + "; " + String.join("; ", problems);
    if (leaders.size() != 1) return leaders.size() + " leaders " + leaders + " (" + count + "); " + String.join("; ", problems);
    // A member that answers but does not serve is broken; one that does not answer at all is down,
    // which the ensemble tolerates as long as a quorum serves (reported, not failed).
    List<String> broken = problems.stream().filter((p) -> !p.contains(" unreachable (")).collect(Collectors.toList());
    if (!broken.isEmpty()) return String.join("; ", broken);
    String leader = leaders.get(0);
    long followers = servingVoters - 1;
    long following = observers.stream().filter((s) -> s.mode != null).count();
    if (env.voters.size() > 1) {
      Map<String, Double> metrics = leaderMetrics(leader);
      double synced = metrics.getOrDefault("synced_followers", -1.0);
      if (synced != followers) return "the leader " + shortName(leader) + " has synced_followers " + synced + ", " + followers + " followers serve";
      if (!env.observers.isEmpty()) {
        double syncedObservers = metrics.getOrDefault("synced_observers", -1.0);
        if (syncedObservers != following) return "the leader " + shortName(leader) + " has synced_observers " + syncedObservers + ", " + following + " observers serve";
      }
    }
    String down = problems.isEmpty() ? "" : "; down, tolerated while a quorum serves: " + String.join("; ", problems);
    return "OK 1 leader (" + shortName(leader) + "), " + followers + " of " + (env.voters.size() - 1) + " followers synced to it"
        + (env.observers.isEmpty() ? "" : ", " + following + " of " + env.observers.size() + " observers following it") + down;
  }

  /**
   * Under dynamic membership: "OK <summary>" when the leader's committed membership lists exactly
   * the voters the Job was synthesized with, otherwise what it lists. srvr cannot tell: a joiner
   * follows the leader (and may count among its synced followers) before its `reconfig -add`, and
   * a leaving member stays a voter until its `reconfig -remove`.
   */
  private String judgeMembership(List<MemberState> states) throws Exception {
    String leader = states.subList(0, env.voters.size()).stream().filter((s) -> "leader".equals(s.mode) || "standalone".equals(s.mode))
        .map((s) -> s.host).findFirst().orElseThrow();
    ZooKeeper zk = connect(leader + ":" + env.clientPort);
    String config;
    try {
      config = new String(zk.getConfig(false, null), StandardCharsets.UTF_8);
    } finally {
      close(zk);
    }
    List<String> listed = participants(config);
    Matcher version = Pattern.compile("^version=(\\w+)", Pattern.MULTILINE).matcher(config);
    String of = "the leader " + shortName(leader) + "'s membership (version " + (version.find() ? version.group(1) : "?") + ")";
    List<String> wanted = env.voters.stream().sorted().collect(Collectors.toList());
    if (!listed.equals(wanted)) {
      return of + " lists the voters " + listed.stream().map(PostDeployCheck::shortName).collect(Collectors.toList())
          + ", the Job expects " + wanted.stream().map(PostDeployCheck::shortName).collect(Collectors.toList());
    }
    return "OK " + of + " lists exactly the " + wanted.size() + " voters";
  }

  /** The hosts of the participants in a /zookeeper/config text (`server.N=host:quorum:election:participant;client`), sorted. */
  static List<String> participants(String config) {
    List<String> hosts = new ArrayList<>();
    Matcher m = Pattern.compile("^server\\.\\d+=([^:;\\s]+):\\d+:\\d+(?::(\\w+))?", Pattern.MULTILINE).matcher(config);
    while (m.find()) if (m.group(2) == null || "participant".equals(m.group(2))) hosts.add(m.group(1));
    Collections.sort(hosts);
    return hosts;
  }

  private Map<String, Double> leaderMetrics(String leader) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + leader + ":" + env.metricsPort + "/metrics")).timeout(Duration.ofSeconds(5)).build();
    String body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
    Map<String, Double> values = new HashMap<>();
    for (String line : body.split("\n")) {
      String[] parts = line.trim().split("\\s+");
      if (parts.length == 2 && !line.startsWith("#")) {
        try { values.put(parts[0], Double.parseDouble(parts[1])); } catch (NumberFormatException ignored) { }
      }
    }
    return values;
  }

  static String shortName(String host) {
    int dot = host.indexOf('.');
    return dot < 0 ? host : host.substring(0, dot);
  }

  // ---- the znode model, through the client Service ----------------------------------------------

  private String crud() throws Exception {
    main = connect(env.service);
    createIfMissing(env.root);
    create(runPath, "run", CreateMode.PERSISTENT);
    String path = runPath + "/crud";
    create(path, "v1", CreateMode.PERSISTENT);
    expectData(main, path, "v1", "after create");
    Stat stat = retry("setData " + path, () -> main.setData(path, bytes("v2"), 0));
    if (stat.getVersion() != 1) throw new CheckFailure(path + " has version " + stat.getVersion() + " after one update, not 1");
    for (String host : serving) {
      ZooKeeper member = connect(host + ":" + env.clientPort);
      sync(member, path, shortName(host));
      expectData(member, path, "v2", "read back from " + shortName(host) + " after a sync");
      close(member);
    }
    retry("delete " + path, () -> { main.delete(path, 1); return null; });
    if (retry("exists " + path, () -> main.exists(path, false)) != null) throw new CheckFailure(path + " still exists after delete");
    return "created, read, updated (version 1) and deleted " + path + " through " + env.service
        + "; every serving member (" + serving.size() + ") read the update after a sync";
  }

  private String ephemeral() throws Exception {
    ZooKeeper owner = connect(env.service);
    String path = runPath + "/ephemeral";
    create(owner, path, "owned", CreateMode.EPHEMERAL);
    sync(main, path, "the check's session");
    Events events = new Events();
    Stat stat = retry("exists " + path, () -> main.exists(path, events));
    if (stat == null) throw new CheckFailure(path + " is not there for another session after a sync, although its create succeeded");
    if (stat.getEphemeralOwner() != owner.getSessionId()) {
      throw new CheckFailure(path + " is owned by session 0x" + Long.toHexString(stat.getEphemeralOwner()) + ", not by 0x" + Long.toHexString(owner.getSessionId()) + ", which created it");
    }
    close(owner);
    events.await(Watcher.Event.EventType.NodeDeleted, path, env.stepMillis);
    if (retry("exists " + path, () -> main.exists(path, false)) != null) throw new CheckFailure(path + " outlived its session");
    return path + " vanished when its session closed (the watch saw NodeDeleted)";
  }

  private String sequential() throws Exception {
    String parent = runPath + "/queue";
    create(parent, "", CreateMode.PERSISTENT);
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 5; i++) created.add(create(parent + "/item-", "item " + i, CreateMode.PERSISTENT_SEQUENTIAL));
    List<String> children = sortedChildren(parent);
    List<String> expected = created.stream().map((p) -> p.substring(parent.length() + 1)).collect(Collectors.toList());
    if (!children.equals(expected)) throw new CheckFailure("children in name order " + children + ", created in order " + expected);
    for (int i = 0; i < children.size(); i++) expectData(main, parent + "/" + children.get(i), "item " + i, "in sequence order");
    return "5 sequential znodes came back in creation order (" + children.get(0) + " .. " + children.get(4) + ")";
  }

  private String watch() throws Exception {
    String path = runPath + "/watched";
    create(path, "before", CreateMode.PERSISTENT);
    Events events = new Events();
    retry("getData " + path, () -> main.getData(path, events, null));
    ZooKeeper writer = connect(env.service);
    retry("setData " + path, () -> writer.setData(path, bytes("after"), -1));
    events.await(Watcher.Event.EventType.NodeDataChanged, path, env.stepMillis);
    close(writer);
    expectData(main, path, "after", "after the watch fired");
    return "a data watch on " + path + " fired when another session changed it";
  }

  // ---- the seeds' recipes ----------------------------------------------------------------------

  /**
   * Leader election: each contender creates an ephemeral sequential znode; the lowest sequence
   * leads; each other contender watches only the one just below it, and leads when that goes.
   */
  private String leaderElection() throws Exception {
    String parent = runPath + "/election";
    create(parent, "", CreateMode.PERSISTENT);
    List<ZooKeeper> contenders = new ArrayList<>();
    List<String> nodes = new ArrayList<>();
    for (int i = 0; i < PARTICIPANTS; i++) {
      contenders.add(connect(env.service));
      nodes.add(create(contenders.get(i), parent + "/n_", "contender " + i, CreateMode.EPHEMERAL_SEQUENTIAL));
    }
    List<String> order = sortedChildren(parent);
    String leader = parent + "/" + order.get(0);
    if (!leader.equals(nodes.get(0))) throw new CheckFailure("the lowest sequence is " + leader + ", not the first contender's " + nodes.get(0));
    // The runner-up watches its predecessor only (no herd effect).
    Events runnerUp = new Events();
    sync(contenders.get(1), nodes.get(0), "the runner-up's session");
    if (retry("exists " + nodes.get(0), () -> contenders.get(1).exists(nodes.get(0), runnerUp)) == null) throw new CheckFailure(nodes.get(0) + " is gone before its session closed");
    close(contenders.get(0));
    runnerUp.await(Watcher.Event.EventType.NodeDeleted, nodes.get(0), env.stepMillis);
    List<String> after = sortedChildren(parent);
    String next = parent + "/" + after.get(0);
    if (!next.equals(nodes.get(1)) || after.size() != PARTICIPANTS - 1) throw new CheckFailure("after the leader left, contenders are " + after + "; expected " + nodes.get(1) + " to lead");
    for (int i = 1; i < PARTICIPANTS; i++) close(contenders.get(i));
    return PARTICIPANTS + " contenders: " + shortName(order.get(0)) + " (lowest) led; when its session ended, " + after.get(0) + " took over";
  }

  /** Service discovery: instances register as ephemeral znodes; a watcher follows the set. */
  private String serviceDiscovery() throws Exception {
    String parent = runPath + "/services";
    create(parent, "", CreateMode.PERSISTENT);
    ZooKeeper watcher = connect(env.service);
    List<ZooKeeper> instances = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < PARTICIPANTS; i++) {
      instances.add(connect(env.service));
      names.add("instance-" + i);
      create(instances.get(i), parent + "/" + names.get(i), "10.0.0." + i + ":8080", CreateMode.EPHEMERAL);
    }
    List<String> seen = awaitChildren(watcher, parent, names);
    List<String> remaining = new ArrayList<>(names);
    remaining.remove(1);
    close(instances.get(1));
    List<String> after = awaitChildren(watcher, parent, remaining);
    for (ZooKeeper instance : instances) close(instance);
    close(watcher);
    return "the watcher saw " + seen + " register, then " + after + " once instance-1's session closed";
  }

  /** Follows `parent`'s children with child watches until they are exactly `wanted`. */
  private List<String> awaitChildren(ZooKeeper zk, String parent, List<String> wanted) throws Exception {
    long deadline = System.currentTimeMillis() + env.stepMillis;
    while (true) {
      Events events = new Events();
      List<String> children = new ArrayList<>(retry("getChildren " + parent, () -> zk.getChildren(parent, events)));
      Collections.sort(children);
      if (children.equals(wanted)) return children;
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) throw new CheckFailure("the watcher sees " + children + " under " + parent + ", expected " + wanted);
      events.poll(left);
    }
  }

  /** With client SASL: a session without credentials gets nothing, not even a read. */
  private String anonymousRefused() throws Exception {
    ZKClientConfig anonymous = new ZKClientConfig();
    anonymous.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "false");
    ZooKeeper zk = connect(env.service, anonymous);
    try {
      zk.getData(runPath, false, null);
      throw new CheckFailure("an anonymous session read " + runPath + ", whose ACL is " + acls(runPath));
    } catch (KeeperException e) {
      if (e.code() != KeeperException.Code.SESSIONCLOSEDREQUIRESASLAUTH && e.code() != KeeperException.Code.NOAUTH) {
        throw new CheckFailure("an anonymous read ended with " + e.code() + ", not a refusal");
      }
      return "an anonymous session was refused (" + e.code() + "); the ACL of " + runPath + " is " + acls(runPath);
    } finally {
      close(zk);
    }
  }

  /** A znode's ACL as `scheme:id` entries. */
  private String acls(String path) throws Exception {
    return main.getACL(path, null).stream().map((a) -> a.getId().getScheme() + ":" + a.getId().getId()).collect(Collectors.joining(", "));
  }

  // ---- cleanup ---------------------------------------------------------------------------------

  private String cleanup() throws Exception {
    for (ZooKeeper zk : new ArrayList<>(sessions)) if (zk != main) close(zk);
    if (main == null) return "nothing was created";
    // A fresh session when the check's own one was lost (an expired session cannot delete).
    if (!main.getState().isAlive()) main = connect(env.service);
    int removed = 0;
    if (retry("exists " + runPath, () -> main.exists(runPath, false)) != null) {
      List<String> tree = retry("list " + runPath, () -> ZKUtil.listSubTreeBFS(main, runPath));
      removed = tree.size();
      // A retry after a lost connection finds part of the tree gone already: it deletes the rest.
      retry("delete " + runPath, () -> { if (main.exists(runPath, false) != null) ZKUtil.deleteRecursive(main, runPath); return null; });
    }
    String root = "";
    try {
      retry("delete " + env.root, () -> { main.delete(env.root, -1); return null; });
      root = " and " + env.root;
    } catch (KeeperException.NotEmptyException | KeeperException.NoNodeException e) {
      root = " (" + env.root + " kept: " + (e instanceof KeeperException.NotEmptyException ? "another run's znodes are in it)" : "already gone)");
    }
    if (retry("exists " + runPath, () -> main.exists(runPath, false)) != null) throw new CheckFailure(runPath + " still exists");
    close(main);
    return "removed " + removed + " znodes under " + runPath + root;
  }

  // ---- helpers: sessions, retries, watches -----------------------------------------------------

  /** A session to `connect`, once connected (within a step's time). */
  private ZooKeeper connect(String connect) throws Exception {
    return connect(connect, new ZKClientConfig());
  }

  private ZooKeeper connect(String connect, ZKClientConfig config) throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(connect, SESSION_TIMEOUT_MS, (e) -> {
      if (e.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
    }, config);
    sessions.add(zk);
    if (!connected.await(env.stepMillis, TimeUnit.MILLISECONDS)) {
      close(zk);
      throw new CheckFailure("no session with " + connect + " within " + env.stepMillis / 1000 + " s");
    }
    return zk;
  }

  private void close(ZooKeeper zk) throws InterruptedException {
    sessions.remove(zk);
    zk.close(5000);
  }

  interface Call<T> { T call() throws Exception; }

  /**
   * Retries a call the client could not complete because its server went away (a leader killed
   * mid-run): the session moves to another member and the call is repeated, within a step's time.
   */
  private <T> T retry(String what, Call<T> call) throws Exception {
    long deadline = System.currentTimeMillis() + env.stepMillis;
    while (true) {
      try {
        return call.call();
      } catch (KeeperException.ConnectionLossException | KeeperException.OperationTimeoutException e) {
        if (System.currentTimeMillis() > deadline) throw new CheckFailure(what + ": no server answered within " + env.stepMillis / 1000 + " s (" + e.code() + ")");
        Thread.sleep(250);
      }
    }
  }

  private String create(String path, String data, CreateMode mode) throws Exception {
    return create(main, path, data, mode);
  }

  /**
   * Creates a znode; after a lost connection the create may have happened, so a retry first looks
   * for it (by path, or for sequential znodes by their data, which each caller makes unique).
   */
  private String create(ZooKeeper zk, String path, String data, CreateMode mode) throws Exception {
    boolean retried = false;
    long deadline = System.currentTimeMillis() + env.stepMillis;
    while (true) {
      try {
        if (retried) {
          String existing = findCreated(zk, path, data, mode);
          if (existing != null) return existing;
        }
        return zk.create(path, bytes(data), acl, mode);
      } catch (KeeperException.ConnectionLossException e) {
        if (System.currentTimeMillis() > deadline) throw new CheckFailure("create " + path + ": no server answered within " + env.stepMillis / 1000 + " s");
        retried = true;
        Thread.sleep(250);
      }
    }
  }

  private String findCreated(ZooKeeper zk, String path, String data, CreateMode mode) throws Exception {
    if (!mode.isSequential()) return zk.exists(path, false) != null ? path : null;
    String parent = path.substring(0, path.lastIndexOf('/'));
    for (String child : zk.getChildren(parent, false)) {
      String candidate = parent + "/" + child;
      if (data.equals(new String(zk.getData(candidate, false, null), StandardCharsets.UTF_8))) return candidate;
    }
    return null;
  }

  private void createIfMissing(String path) throws Exception {
    try {
      create(path, "", CreateMode.PERSISTENT);
    } catch (KeeperException.NodeExistsException ignored) {
      // Another run's, or left by one that could not clean up: shared, and removed when empty.
    }
  }

  /**
   * Waits until `zk`'s server has applied every write the leader committed before this call. A
   * server may answer a read before it applied another session's latest write (after a leader
   * change, for a while): a session that must see it syncs first.
   */
  private void sync(ZooKeeper zk, String path, String whose) throws Exception {
    long deadline = System.currentTimeMillis() + env.stepMillis;
    while (true) {
      CompletableFuture<Integer> done = new CompletableFuture<>();
      zk.sync(path, (rc, p, ctx) -> done.complete(rc), null);
      Integer rc;
      try {
        rc = done.get(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new CheckFailure("sync of " + path + " on " + whose + " did not complete within " + env.stepMillis / 1000 + " s");
      }
      KeeperException.Code code = KeeperException.Code.get(rc);
      if (code == KeeperException.Code.OK) return;
      if (code != KeeperException.Code.CONNECTIONLOSS || System.currentTimeMillis() > deadline) {
        throw new CheckFailure("sync of " + path + " on " + whose + " ended with " + code);
      }
      Thread.sleep(250);
    }
  }

  private void expectData(ZooKeeper zk, String path, String wanted, String when) throws Exception {
    String data = new String(retry("getData " + path, () -> zk.getData(path, false, null)), StandardCharsets.UTF_8);
    if (!data.equals(wanted)) throw new CheckFailure(path + " holds '" + data + "' " + when + ", expected '" + wanted + "'");
  }

  /** `parent`'s children as the check's session sees them once its server caught up with the leader. */
  private List<String> sortedChildren(String parent) throws Exception {
    sync(main, parent, "the check's session");
    List<String> children = new ArrayList<>(retry("getChildren " + parent, () -> main.getChildren(parent, false)));
    Collections.sort(children);
    return children;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Watch events as they arrive, for a step to wait on. */
  static final class Events implements Watcher {
    private final BlockingQueue<WatchedEvent> queue = new LinkedBlockingQueue<>();

    @Override
    public void process(WatchedEvent event) {
      queue.add(event);
    }

    WatchedEvent poll(long millis) throws InterruptedException {
      return queue.poll(millis, TimeUnit.MILLISECONDS);
    }

    void await(Watcher.Event.EventType type, String path, long millis) throws Exception {
      long deadline = System.currentTimeMillis() + millis;
      for (long left = millis; left > 0; left = deadline - System.currentTimeMillis()) {
        WatchedEvent event = poll(left);
        if (event != null && event.getType() == type && path.equals(event.getPath())) return;
      }
      throw new CheckFailure("no " + type + " event for " + path + " within " + millis / 1000 + " s");
    }
  }

  /**
   * The client's SASL login (DIGEST-MD5), held in memory: the password is read from the mounted
   * Secret file and never written to a JAAS file or the command line.
   */
  static void installSaslLogin(String user, String password) {
    if (password.contains("\n")) throw new IllegalArgumentException("the SASL password file holds a line break");
    Map<String, String> options = Map.of("username", user, "password", password);
    AppConfigurationEntry entry = new AppConfigurationEntry("org.apache.zookeeper.server.auth.DigestLoginModule",
        AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, options);
    Configuration.setConfiguration(new Configuration() {
      @Override
      public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
        return "Client".equals(name) ? new AppConfigurationEntry[] {entry} : null;
      }
    });
  }
}
