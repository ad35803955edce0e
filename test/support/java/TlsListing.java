// Test harness of test/s3-signing.test.ts: an HTTPS server with a self-signed certificate that
// answers any request with a ListObjectsV2 page of one key, and the backup tool's S3Bucket, made
// from the environment as in the backup pod (ZK_BACKUP_S3_*), listing it. Prints the keys it got,
// or fails as the tool would. Arguments: the port, the server's PKCS12 keystore and its password.
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

public class TlsListing {
  public static void main(String[] args) throws Exception {
    char[] password = args[2].toCharArray();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (FileInputStream in = new FileInputStream(args[1])) { keys.load(in, password); }
    KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    managers.init(keys, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(managers.getKeyManagers(), null, null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(context));
    server.createContext("/", exchange -> {
      byte[] page = ("<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>p/zookeeper-1.json</Key></Contents></ListBucketResult>")
          .getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, page.length);
      exchange.getResponseBody().write(page);
      exchange.close();
    });
    server.start();
    try {
      System.out.println(S3Bucket.fromEnvironment().list("zookeeper-"));
    } finally {
      server.stop(0);
    }
  }
}
