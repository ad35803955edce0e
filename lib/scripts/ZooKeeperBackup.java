// Logical backup and restore of a ZooKeeper ensemble over the client protocol. Shipped as source in
// the backup ConfigMap and run by the server image's own JVM with the server's lib on the classpath
// (`java -cp '<zookeeper>/lib/*' ZooKeeperBackup.java backup|restore|verify`): the backup CronJob
// and the restore Job call it. docs/backup.md explains the format and the consistency it gives.
//
// Environment: ZK_CONNECT (connection string), ZK_BACKUP_DIR (where backups are kept on a claim)
// or the ZK_BACKUP_S3_* variables (a bucket, see S3Bucket.java), ZK_BACKUP_KEEP (backups kept after
// a new one succeeds), ZK_BACKUP_ATTEMPTS (walks tried for a quiet one), ZK_BACKUP_DIGEST_FILE
// (optional `user:password` for digest auth, e.g. the super user). The chart appends
// BackupStore.java and S3Bucket.java to this file: the launcher runs one source file.
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.zookeeper.*;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;

public class ZooKeeperBackup {
  static final String FORMAT = "cdk8s-zookeeper-dump 1";
  static final String DUMP = ".zkdump.gz";
  static final String MANIFEST = ".json";
  /** ZooKeeper's own subtree (quotas, the dynamic config): the server creates it, it is not restored. */
  static final String SYSTEM = "/zookeeper";
  static final int OUTSTANDING = 500;
  /** Znodes read ahead of the walk. */
  static final int PREFETCH = 200;

  public static void main(String[] args) throws Exception {
    String command = args.length > 0 ? args[0] : "";
    try {
      BackupStore store = BackupStore.fromEnvironment();
      switch (command) {
        case "backup": backup(store, Integer.parseInt(env("ZK_BACKUP_KEEP", "7")), Integer.parseInt(env("ZK_BACKUP_ATTEMPTS", "3"))); break;
        case "restore": restore(store, args.length > 1 ? args[1] : "latest"); break;
        case "verify": verify(store, manifestNamed(store, args.length > 1 ? args[1] : "latest")); break;
        default: fail("usage: ZooKeeperBackup.java backup | restore [NAME|latest] | verify [NAME|latest]");
      }
    } catch (Failure f) {
      log("FAILED: " + f.getMessage());
      System.exit(1);
    } catch (Exception e) {
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      log("FAILED: " + cause);
      System.exit(1);
    }
    System.exit(0);
  }

  // ---- backup ------------------------------------------------------------------------------

  /**
   * Walks the tree after a sync, until a walk sees no transaction anywhere in the ensemble between
   * its start and its end (then the dump is exactly the state at that zxid) or the attempts run out
   * (then it holds every write acknowledged before its start, and some made during the walk).
   */
  static void backup(BackupStore store, int keep, int attempts) throws Exception {
    Path dir = store.scratch();
    Files.createDirectories(dir);
    // Wrong credentials or a missing bucket fail here, before a walk that could take minutes.
    store.files();
    try (Session zk = Session.open()) {
      String name = null;
      Map<String, String> manifest = null;
      for (int attempt = 1; attempt <= attempts; attempt++) {
        long started = System.currentTimeMillis();
        long zxidStart = zk.syncedZxid();
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(Instant.ofEpochMilli(started));
        name = String.format("zookeeper-%s-%x", stamp, zxidStart);
        Path tmp = dir.resolve(name + DUMP + ".tmp");
        long[] counts;
        try {
          counts = dump(zk, tmp);
        } catch (Exception e) {
          Files.deleteIfExists(tmp);
          throw e;
        }
        long zxidEnd = zk.syncedZxid();
        Files.move(tmp, dir.resolve(name + DUMP), StandardCopyOption.ATOMIC_MOVE);
        manifest = new LinkedHashMap<>();
        manifest.put("format", q(FORMAT));
        manifest.put("name", q(name));
        manifest.put("file", q(name + DUMP));
        manifest.put("time", q(Instant.ofEpochMilli(started).toString()));
        manifest.put("durationMs", String.valueOf(System.currentTimeMillis() - started));
        manifest.put("zxid", q(String.format("0x%x", zxidStart)));
        manifest.put("zxidEnd", q(String.format("0x%x", zxidEnd)));
        manifest.put("exact", String.valueOf(zxidStart == zxidEnd));
        manifest.put("attempt", String.valueOf(attempt));
        manifest.put("znodes", String.valueOf(counts[0]));
        manifest.put("ephemeralsSkipped", String.valueOf(counts[1]));
        manifest.put("dataBytes", String.valueOf(counts[2]));
        manifest.put("bytes", String.valueOf(Files.size(dir.resolve(name + DUMP))));
        manifest.put("sha256", q(sha256(dir.resolve(name + DUMP))));
        manifest.put("serverVersion", q(zk.serverVersion()));
        manifest.put("clientVersion", q(Version.getFullVersion()));
        if (zxidStart == zxidEnd || attempt == attempts) break;
        log(String.format("walk %d saw transactions 0x%x..0x%x; trying again for a quiet one", attempt, zxidStart, zxidEnd));
        Files.delete(dir.resolve(name + DUMP));
      }
      writeAtomically(dir.resolve(name + MANIFEST), json(manifest).getBytes(StandardCharsets.UTF_8));
      try {
        // The manifest goes last: a dump without one is an incomplete backup.
        store.put(name + DUMP, dir.resolve(name + DUMP));
        store.put(name + MANIFEST, dir.resolve(name + MANIFEST));
        verify(store, name + MANIFEST);
      } catch (Exception e) {
        // A backup that does not read back is no backup: it must not count towards retention.
        store.delete(name + MANIFEST);
        store.delete(name + DUMP);
        throw e;
      }
      log("backup " + name + " written to " + store.where() + ": " + json(manifest).replace("\n", ""));
      prune(store, keep);
    }
  }

  /**
   * Writes every persistent znode outside /zookeeper, parents before children, siblings in name
   * order; returns {znodes, ephemerals, data bytes}. The znodes next on the walk are read ahead
   * asynchronously (PREFETCH at most), so the walk is not one round trip per request.
   */
  static long[] dump(Session zk, Path file) throws Exception {
    long[] counts = new long[3];
    Map<String, CompletableFuture<Znode>> ahead = new HashMap<>();
    try (Writer out = new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(file)), StandardCharsets.UTF_8)) {
      out.write(FORMAT + "\n");
      Deque<String> stack = new ArrayDeque<>(List.of("/"));
      while (!stack.isEmpty()) {
        int started = 0;
        for (Iterator<String> next = stack.iterator(); next.hasNext() && started < PREFETCH; started++) {
          ahead.computeIfAbsent(next.next(), path -> Znode.read(zk, path));
        }
        String path = stack.pop();
        Znode node;
        try {
          node = ahead.remove(path).get(120, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (e.getCause() instanceof KeeperException.NoAuthException) {
            fail("cannot read " + path + ": its ACL does not let the backup read it; give the backup credentials (backupDigestSecret) that can, such as the super user's");
          }
          throw e;
        }
        if (node.gone) continue; // deleted during the walk: the zxids show the walk was not quiet
        // Servers report 0 for container and TTL znodes too: those come back as persistent ones.
        if (node.stat.getEphemeralOwner() != 0) { counts[1]++; continue; }
        for (ACL a : node.acl) {
          if (a.getId().getScheme().equals("digest") && a.getId().getId().endsWith(":x")) {
            fail("the ACL of " + path + " names digest user " + a.getId().getId().split(":")[0] + ", whose password digest the server shows only to a client"
                + " with ADMIN permission there: give the backup credentials (backupDigestSecret) that have it, such as the super user's");
          }
        }
        out.write(String.join("\t", b64(path.getBytes(StandardCharsets.UTF_8)), acls(node.acl), node.data == null ? "-" : b64(node.data)) + "\n");
        counts[0]++;
        counts[2] += node.data == null ? 0 : node.data.length;
        List<String> children = new ArrayList<>(node.children);
        Collections.sort(children, Collections.reverseOrder());
        for (String child : children) {
          String childPath = path.equals("/") ? "/" + child : path + "/" + child;
          if (!childPath.equals(SYSTEM)) stack.push(childPath);
        }
      }
    }
    return counts;
  }

  /** One znode as the walk reads it: data and stat, ACL, children; `gone` when it was deleted first. */
  static final class Znode {
    byte[] data; Stat stat; List<ACL> acl; List<String> children; boolean gone;

    static CompletableFuture<Znode> read(ZooKeeper zk, String path) {
      Znode z = new Znode();
      CompletableFuture<Znode> done = new CompletableFuture<>();
      java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger(3);
      java.util.function.IntConsumer answered = rc -> {
        if (rc == KeeperException.Code.NONODE.intValue()) z.gone = true;
        else if (rc != 0) done.completeExceptionally(KeeperException.create(KeeperException.Code.get(rc), path));
        if (pending.decrementAndGet() == 0) done.complete(z);
      };
      zk.getData(path, false, (rc, p, ctx, data, stat) -> { z.data = data; z.stat = stat; answered.accept(rc); }, null);
      zk.getACL(path, new Stat(), (rc, p, ctx, acl, stat) -> { z.acl = acl; answered.accept(rc); }, null);
      zk.getChildren(path, false, (rc, p, ctx, children) -> { z.children = children; answered.accept(rc); }, null);
      return done;
    }
  }

  /** Keeps the newest `keep` complete backups; removes older ones and leftovers of interrupted runs. */
  static void prune(BackupStore store, int keep) throws Exception {
    List<String> manifests = manifests(store);
    for (String old : manifests.subList(0, Math.max(0, manifests.size() - keep))) {
      String name = baseName(old);
      store.delete(name + DUMP);
      store.delete(old);
      log("retention: removed " + name);
    }
    // Leftovers of a run that was killed: temporary files, and a dump whose manifest was never written.
    List<String> files = store.files();
    for (String file : files) {
      if (!file.startsWith("zookeeper-")) continue;
      if (file.endsWith(".tmp")) store.delete(file);
      else if (file.endsWith(DUMP) && !files.contains(file.substring(0, file.length() - DUMP.length()) + MANIFEST)) {
        store.delete(file);
        log("removed " + file + ", left without a manifest by an interrupted run");
      }
    }
  }

  // ---- verify and restore -------------------------------------------------------------------

  /**
   * Checks a backup against its manifest, both read back from the store: checksum, size, format
   * and every record readable. Returns the manifest and a local copy of the dump.
   */
  static Verified verify(BackupStore store, String manifestFile) throws Exception {
    Map<String, String> m = readManifest(store.fetch(manifestFile));
    if (!store.files().contains(m.get("file"))) fail("backup " + m.get("name") + ": " + m.get("file") + " is missing from " + store.where());
    Path dump = store.fetch(m.get("file"));
    if (!sha256(dump).equals(m.get("sha256"))) fail("backup " + m.get("name") + ": checksum differs from its manifest (the file is damaged)");
    if (Files.size(dump) != Long.parseLong(m.get("bytes"))) fail("backup " + m.get("name") + ": size differs from its manifest");
    long[] znodes = {0};
    records(dump, r -> znodes[0]++);
    if (znodes[0] != Long.parseLong(m.get("znodes"))) fail("backup " + m.get("name") + ": holds " + znodes[0] + " znodes, its manifest says " + m.get("znodes"));
    log("verified " + m.get("name") + " in " + store.where() + ": " + znodes[0] + " znodes, sha256 " + m.get("sha256"));
    return new Verified(m, dump);
  }

  static final class Verified {
    final Map<String, String> manifest; final Path dump;
    Verified(Map<String, String> manifest, Path dump) { this.manifest = manifest; this.dump = dump; }
  }

  /**
   * Recreates every znode of a backup in an empty ensemble, parents first (one session's requests
   * are applied in order), each with an open ACL so its children can be created, then sets the
   * recorded ACLs, and finally compares the whole tree with the backup. An ensemble that already
   * holds exactly the backup is left as it is, so a re-run Job succeeds.
   */
  static void restore(BackupStore store, String which) throws Exception {
    Verified backup = verify(store, manifestNamed(store, which));
    Map<String, String> m = backup.manifest;
    Path dump = backup.dump;
    try (Session zk = Session.open()) {
      zk.syncedZxid();
      List<String> top = new ArrayList<>(zk.zk.getChildren("/", false));
      top.remove(SYSTEM.substring(1));
      if (!top.isEmpty()) {
        List<String> differences = compare(zk, dump, 1);
        if (differences.isEmpty()) { log("the ensemble already holds exactly backup " + m.get("name") + "; nothing to do"); return; }
        fail("the ensemble is not empty (it holds /" + top.get(0) + " and differs from backup " + m.get("name") + ": " + differences.get(0)
            + "); restore only into an ensemble whose volumes are new");
      }
      long started = System.currentTimeMillis();
      Pipeline creates = new Pipeline();
      List<Record> restricted = new ArrayList<>();
      records(dump, r -> {
        if (r.path.equals("/")) { if (!r.acl.equals(ZooDefs.Ids.OPEN_ACL_UNSAFE) || (r.data != null && r.data.length > 0)) restricted.add(r); return; }
        creates.acquire();
        zk.zk.create(r.path, r.data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, (rc, path, ctx, name) -> creates.done(rc, path), null);
        if (!r.acl.equals(ZooDefs.Ids.OPEN_ACL_UNSAFE)) restricted.add(r);
      });
      creates.await("create");
      Pipeline updates = new Pipeline();
      for (Record r : restricted) {
        if (r.path.equals("/") && r.data != null && r.data.length > 0) zk.zk.setData("/", r.data, -1);
        updates.acquire();
        zk.zk.setACL(r.path, r.acl, -1, (rc, path, ctx, stat) -> updates.done(rc, path), null);
      }
      updates.await("setACL");
      long restoredMs = System.currentTimeMillis() - started;
      List<String> differences = compare(zk, dump, 10);
      if (!differences.isEmpty()) fail("after the restore the ensemble differs from backup " + m.get("name") + ": " + String.join("; ", differences));
      log(String.format("restored %s: %s znodes (%d with their own ACL) in %d ms; the ensemble equals the backup (zxid of the backup %s)",
          m.get("name"), m.get("znodes"), restricted.size(), restoredMs, m.get("zxid")));
    }
  }

  /** Walks the live tree in the dump's order and lists (up to `limit`) differences: paths, data, ACLs. */
  static List<String> compare(Session zk, Path dump, int limit) throws Exception {
    zk.syncedZxid();
    Path live = Files.createTempFile("zookeeper-live", DUMP);
    try {
      dump(zk, live);
      List<String> differences = new ArrayList<>();
      try (BufferedReader a = reader(dump); BufferedReader b = reader(live)) {
        for (String x = a.readLine(), y = b.readLine(); (x != null || y != null) && differences.size() < limit; x = a.readLine(), y = b.readLine()) {
          if (Objects.equals(x, y)) continue;
          differences.add(x == null ? "extra znode " + Record.parse(y).path : y == null ? "missing znode " + Record.parse(x).path
              : "at " + Record.parse(x).path + " the ensemble holds " + describe(Record.parse(y)) + ", the backup " + describe(Record.parse(x)));
          if (x == null || y == null || !Record.parse(x).path.equals(Record.parse(y).path)) break; // the walks are out of step
        }
      }
      return differences;
    } finally {
      Files.deleteIfExists(live);
    }
  }

  static String describe(Record r) {
    return r.path + " (" + (r.data == null ? "no data" : r.data.length + " bytes") + ", ACL " + r.acl + ")";
  }

  // ---- the dump's records -------------------------------------------------------------------

  static final class Record {
    String path; List<ACL> acl = new ArrayList<>(); byte[] data;

    static Record parse(String line) {
      String[] f = line.split("\t", -1);
      if (f.length != 3) throw new IllegalArgumentException("not a record: " + line.substring(0, Math.min(40, line.length())));
      Record r = new Record();
      r.path = new String(Base64.getDecoder().decode(f[0]), StandardCharsets.UTF_8);
      for (String entry : f[1].isEmpty() ? new String[0] : f[1].split(",")) {
        String[] p = entry.split(":", 3);
        r.acl.add(new ACL(Integer.parseInt(p[0]), new Id(p[1], new String(Base64.getDecoder().decode(p[2]), StandardCharsets.UTF_8))));
      }
      r.data = f[2].equals("-") ? null : Base64.getDecoder().decode(f[2]);
      return r;
    }
  }

  interface RecordHandler { void accept(Record r) throws Exception; }

  static void records(Path dump, RecordHandler handler) throws Exception {
    try (BufferedReader in = reader(dump)) {
      if (!FORMAT.equals(in.readLine())) fail(dump.getFileName() + " is not a " + FORMAT + " file");
      for (String line = in.readLine(); line != null; line = in.readLine()) handler.accept(Record.parse(line));
    }
  }

  static String acls(List<ACL> acl) {
    StringJoiner j = new StringJoiner(",");
    for (ACL a : acl) j.add(a.getPerms() + ":" + a.getId().getScheme() + ":" + b64(a.getId().getId().getBytes(StandardCharsets.UTF_8)));
    return j.toString();
  }

  // ---- the session --------------------------------------------------------------------------

  /** A client session that exposes the zxid of the last reply, which every reply header carries. */
  static final class Session extends ZooKeeper implements AutoCloseable {
    final ZooKeeper zk = this;

    Session(String connect, CountDownLatch connected) throws IOException {
      super(connect, 30000, e -> { if (e.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown(); });
    }

    static Session open() throws Exception {
      String connect = env("ZK_CONNECT", null);
      if (connect == null) fail("ZK_CONNECT is not set");
      CountDownLatch connected = new CountDownLatch(1);
      Session s = new Session(connect, connected);
      if (!connected.await(120, TimeUnit.SECONDS)) { s.close(); fail("no session with " + connect + " within 120 s"); }
      String digestFile = env("ZK_BACKUP_DIGEST_FILE", null);
      if (digestFile != null) s.addAuthInfo("digest", Files.readAllBytes(Paths.get(digestFile)));
      return s;
    }

    /** Syncs this session's server with the leader and returns the zxid it has applied since. */
    long syncedZxid() throws Exception {
      CompletableFuture<Integer> synced = new CompletableFuture<>();
      sync("/", (rc, path, ctx) -> synced.complete(rc), null);
      int rc = synced.get(60, TimeUnit.SECONDS);
      if (rc != 0) throw KeeperException.create(KeeperException.Code.get(rc), "/");
      exists("/", false); // a read after the sync: its reply header carries the server's zxid
      return cnxn.getLastZxid();
    }

    /** The version the session's server reports through `srvr` (whitelisted for the readiness probe). */
    String serverVersion() {
      try (java.net.Socket socket = new java.net.Socket()) {
        socket.connect(testableRemoteSocketAddress(), 5000);
        socket.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
        String reply = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        for (String line : reply.split("\n")) if (line.startsWith("Zookeeper version: ")) return line.substring(19).split(",")[0].trim();
      } catch (Exception e) {
        log("could not ask the server for its version: " + e);
      }
      return "unknown";
    }

    @Override
    public void close() throws InterruptedException { super.close(); }
  }

  /** Bounds the asynchronous requests in flight and keeps the first error. */
  static final class Pipeline {
    final Semaphore slots = new Semaphore(OUTSTANDING);
    final AtomicReference<String> error = new AtomicReference<>();
    void acquire() throws InterruptedException { slots.acquire(); }
    void done(int rc, String path) {
      if (rc != 0) error.compareAndSet(null, path + ": " + KeeperException.Code.get(rc));
      slots.release();
    }
    void await(String what) throws Exception {
      if (!slots.tryAcquire(OUTSTANDING, 300, TimeUnit.SECONDS)) fail(what + ": requests still unanswered after 300 s");
      slots.release(OUTSTANDING);
      if (error.get() != null) fail(what + " failed at " + error.get());
    }
  }

  // ---- files --------------------------------------------------------------------------------

  /** The manifests' file names, oldest first (names start with the UTC time). */
  static List<String> manifests(BackupStore store) throws Exception {
    List<String> found = new ArrayList<>();
    for (String file : store.files()) if (file.startsWith("zookeeper-") && file.endsWith(MANIFEST)) found.add(file);
    Collections.sort(found);
    return found;
  }

  static String manifestNamed(BackupStore store, String which) throws Exception {
    List<String> all = manifests(store);
    if (which.equals("latest")) {
      if (all.isEmpty()) fail("no backup in " + store.where());
      return all.get(all.size() - 1);
    }
    if (!all.contains(which + MANIFEST)) fail("no backup named " + which + " in " + store.where());
    return which + MANIFEST;
  }

  static String baseName(String manifest) {
    return manifest.substring(0, manifest.length() - MANIFEST.length());
  }

  /** The manifest's flat JSON object of strings, numbers and booleans (written by json() below). */
  static Map<String, String> readManifest(Path file) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      java.util.regex.Matcher kv = java.util.regex.Pattern.compile("^\\s*\"(\\w+)\": \"?(.*?)\"?,?$").matcher(line);
      if (kv.matches()) m.put(kv.group(1), kv.group(2));
    }
    return m;
  }

  static String json(Map<String, String> m) {
    StringJoiner j = new StringJoiner(",\n", "{\n", "\n}\n");
    m.forEach((k, v) -> j.add("  \"" + k + "\": " + v));
    return j.toString();
  }

  static void writeAtomically(Path file, byte[] content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, content);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
  }

  static BufferedReader reader(Path dump) throws IOException {
    return new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(dump)), StandardCharsets.UTF_8));
  }

  static String sha256(Path file) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n = in.read(buffer); n > 0; n = in.read(buffer)) digest.update(buffer, 0, n);
    }
    StringBuilder hex = new StringBuilder();
    for (byte b : digest.digest()) hex.append(String.format("%02x", b));
    return hex.toString();
  }

  static String b64(byte[] bytes) { return Base64.getEncoder().encodeToString(bytes); }
  /** A JSON string of a value that holds no quote or backslash (names, versions, hex, base64). */
  static String q(String s) { return "\"" + s.replaceAll("[\"\\\\]", "?") + "\""; }
  static String env(String name, String fallback) { String v = System.getenv(name); return v == null || v.isEmpty() ? fallback : v; }
  static void log(String message) { System.out.println(Instant.now() + " zookeeper-backup: " + message); }

  static final class Failure extends Exception { Failure(String m) { super(m); } }
  static void fail(String message) throws Failure { throw new Failure(message); }
}
