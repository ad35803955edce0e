// Test harness of test/s3-signing.test.ts: signs requests read from stdin with the backup tool's
// S3Bucket.authorization and prints one Authorization header per request. Compiled with
// lib/scripts/S3Bucket.java by the test (both in the unnamed package).
//
// One request a line, tab-separated: method, raw path, query (name=value pairs joined by '&',
// raw), headers (name=value pairs joined by '|'; host and x-amz-date among them), payload (text),
// region, access key id, secret access key.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;

public class SignRequests {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      String[] f = line.split("\t", -1);
      TreeMap<String, String> query = new TreeMap<>();
      for (String pair : f[2].isEmpty() ? new String[0] : f[2].split("&")) query.put(pair.split("=", 2)[0], pair.split("=", 2)[1]);
      TreeMap<String, String> headers = new TreeMap<>();
      for (String pair : f[3].split("\\|")) headers.put(pair.split("=", 2)[0].toLowerCase(), pair.split("=", 2)[1]);
      String payload = S3Bucket.hex(S3Bucket.sha256(f[4].getBytes(StandardCharsets.UTF_8)));
      headers.put("x-amz-content-sha256", payload);
      System.out.println(S3Bucket.authorization(f[0], S3Bucket.encodePath(f[1]), S3Bucket.canonicalQuery(query), headers, payload, f[5], new S3Bucket.Credentials(f[6], f[7])));
    }
  }
}
