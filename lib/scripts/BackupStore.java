// Where the backup tool keeps backups: a directory on the user's claim, or a prefix of an
// S3-compatible bucket. ZooKeeperBackup.java writes, verifies, prunes and restores through this
// interface only, so both targets get the same checks. Shipped appended to ZooKeeperBackup.java
// as one program (lib/render/scripts.ts).
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

interface BackupStore {
  /** The names of the tool's files the store holds (zookeeper-*: dumps, manifests, leftovers), sorted. */
  List<String> files() throws Exception;

  /** Makes a local file the store's file `name`; the local file is the store's own or a copy. */
  void put(String name, Path local) throws Exception;

  /** A local copy of the store's file `name` (the file itself on the claim; downloaded from a bucket). */
  Path fetch(String name) throws Exception;

  void delete(String name) throws Exception;

  /** Where new files are written first: on the claim itself, or the pod's /tmp for a bucket. */
  Path scratch();

  /** For logs: the claim's directory or the bucket's s3:// address. */
  String where();

  /** The target the pod's environment names: the bucket when ZK_BACKUP_S3_BUCKET is set, else the claim. */
  static BackupStore fromEnvironment() throws Exception {
    String bucket = System.getenv("ZK_BACKUP_S3_BUCKET");
    if (bucket != null && !bucket.isEmpty()) {
      String tmp = System.getenv("ZK_BACKUP_TMP_DIR");
      return new Bucket(S3Bucket.fromEnvironment(), Paths.get(tmp == null || tmp.isEmpty() ? "/tmp" : tmp));
    }
    String dir = System.getenv("ZK_BACKUP_DIR");
    return new Claim(Paths.get(dir == null || dir.isEmpty() ? "/backup" : dir));
  }

  /** A directory on the claim: files are written in place and renamed atomically. */
  final class Claim implements BackupStore {
    final Path dir;

    Claim(Path dir) { this.dir = dir; }

    public List<String> files() throws IOException {
      List<String> names = new ArrayList<>();
      if (!Files.isDirectory(dir)) return names;
      try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
        for (Path p : stream) names.add(p.getFileName().toString());
      }
      Collections.sort(names);
      return names;
    }

    public void put(String name, Path local) throws IOException {
      Path target = dir.resolve(name);
      if (!local.equals(target)) Files.move(local, target, StandardCopyOption.ATOMIC_MOVE);
    }

    public Path fetch(String name) throws IOException {
      Path file = dir.resolve(name);
      if (!Files.exists(file)) throw new IOException(name + " is missing from " + dir);
      return file;
    }

    public void delete(String name) throws IOException { Files.deleteIfExists(dir.resolve(name)); }

    public Path scratch() { return dir; }

    public String where() { return dir.toString(); }
  }

  /**
   * A prefix of a bucket: files are written to /tmp, uploaded, and read back by downloading them
   * (so verifying a backup checks what the bucket holds, not the local copy).
   */
  final class Bucket implements BackupStore {
    final S3Bucket s3;
    final Path tmp;

    Bucket(S3Bucket s3, Path tmp) { this.s3 = s3; this.tmp = tmp; }

    public List<String> files() throws Exception {
      List<String> names = s3.list("zookeeper-");
      Collections.sort(names);
      return names;
    }

    public void put(String name, Path local) throws Exception {
      s3.put(name, local);
      Files.deleteIfExists(local);
    }

    public Path fetch(String name) throws Exception {
      Path local = tmp.resolve("fetched-" + name);
      s3.get(name, local);
      return local;
    }

    public void delete(String name) throws Exception { s3.delete(name); }

    public Path scratch() { return tmp; }

    public String where() { return s3.describe(""); }
  }
}
