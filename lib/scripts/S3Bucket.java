// The S3 client of the backup tool: PUT, GET, DELETE object and ListObjectsV2 under one bucket
// prefix, signed with AWS Signature Version 4, on the JDK's own HTTP client (no SDK, so the tool
// stays one source file run by the server image's JVM). The chart ships this file appended to
// ZooKeeperBackup.java as one program (lib/render/scripts.ts); test/s3-signing.test.ts checks the
// signing against the examples of AWS's documentation.
//
// Environment (from the backup pod): ZK_BACKUP_S3_ENDPOINT (scheme://host[:port]), ZK_BACKUP_S3_BUCKET,
// ZK_BACKUP_S3_PREFIX (ends with '/' or is empty), ZK_BACKUP_S3_REGION, ZK_BACKUP_S3_PATH_STYLE
// (true|false), ZK_BACKUP_S3_CA_FILE (optional PEM), and the credentials AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, which come from the user's Secret through secretKeyRef and are never
// printed: errors name the request and S3's error code only.
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

final class S3Bucket {
  static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  final URI endpoint;
  final String bucket;
  final String prefix;
  final String region;
  final boolean pathStyle;
  final Credentials credentials;
  final HttpClient http;

  S3Bucket(URI endpoint, String bucket, String prefix, String region, boolean pathStyle, Credentials credentials, HttpClient http) {
    this.endpoint = endpoint;
    this.bucket = bucket;
    this.prefix = prefix;
    this.region = region;
    this.pathStyle = pathStyle;
    this.credentials = credentials;
    this.http = http;
  }

  /** The access key id and its secret access key; neither is ever put in a message. */
  static final class Credentials {
    final String id;
    final String key;

    Credentials(String id, String key) {
      this.id = id;
      this.key = key;
    }
  }

  /** The bucket the pod's environment names; a missing variable is a failure that names it. */
  static S3Bucket fromEnvironment() throws Exception {
    HttpClient.Builder client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30));
    String ca = System.getenv("ZK_BACKUP_S3_CA_FILE");
    if (ca != null && !ca.isEmpty()) client.sslContext(trusting(Path.of(ca)));
    String pathStyle = required("ZK_BACKUP_S3_PATH_STYLE");
    return new S3Bucket(URI.create(required("ZK_BACKUP_S3_ENDPOINT")), required("ZK_BACKUP_S3_BUCKET"), env("ZK_BACKUP_S3_PREFIX", ""),
        required("ZK_BACKUP_S3_REGION"), Boolean.parseBoolean(pathStyle), new Credentials(required("AWS_ACCESS_KEY_ID"), required("AWS_SECRET_ACCESS_KEY")), client.build());
  }

  /** Where an object is, for logs: s3://bucket/prefix+name. */
  String describe(String name) {
    return "s3://" + bucket + "/" + prefix + name;
  }

  // ---- the four requests --------------------------------------------------------------------

  /** Uploads a file as prefix+name, its SHA-256 signed so the server refuses a body changed on the way. */
  void put(String name, Path file) throws Exception {
    String payload = hex(sha256(file));
    send("PUT", prefix + name, Map.of(), payload, HttpRequest.BodyPublishers.ofFile(file), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Downloads prefix+name into a file. */
  void get(String name, Path file) throws Exception {
    Files.deleteIfExists(file);
    send("GET", prefix + name, Map.of(), EMPTY_SHA256, HttpRequest.BodyPublishers.noBody(), HttpResponse.BodyHandlers.ofFile(file));
  }

  /** Removes prefix+name; S3 answers a missing object with success too. */
  void delete(String name) throws Exception {
    send("DELETE", prefix + name, Map.of(), EMPTY_SHA256, HttpRequest.BodyPublishers.noBody(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** The names (without the prefix) of every object under prefix+start, in key order, page after page. */
  List<String> list(String start) throws Exception {
    List<String> names = new ArrayList<>();
    String token = null;
    do {
      Map<String, String> query = new TreeMap<>();
      query.put("list-type", "2");
      query.put("prefix", prefix + start);
      if (token != null) query.put("continuation-token", token);
      byte[] body = send("GET", "", query, EMPTY_SHA256, HttpRequest.BodyPublishers.noBody(), HttpResponse.BodyHandlers.ofByteArray()).body();
      Document page = xml(body);
      NodeList keys = page.getElementsByTagName("Key");
      for (int i = 0; i < keys.getLength(); i++) names.add(keys.item(i).getTextContent().substring(prefix.length()));
      token = "true".equals(text(page, "IsTruncated")) ? text(page, "NextContinuationToken") : null;
    } while (token != null);
    return names;
  }

  /** Signs and sends one request; anything but 2xx fails naming the request and S3's error code. */
  <T> HttpResponse<T> send(String method, String key, Map<String, String> query, String payloadSha256,
      HttpRequest.BodyPublisher body, HttpResponse.BodyHandler<T> handler) throws Exception {
    String host = pathStyle ? authority(endpoint) : bucket + "." + authority(endpoint);
    String path = (pathStyle ? "/" + bucket : "") + "/" + key;
    String canonicalUri = encodePath(path);
    String canonicalQuery = canonicalQuery(query);
    TreeMap<String, String> headers = new TreeMap<>();
    headers.put("host", host);
    headers.put("x-amz-content-sha256", payloadSha256);
    headers.put("x-amz-date", AMZ_DATE.format(Instant.now()));
    String authorization = authorization(method, canonicalUri, canonicalQuery, headers, payloadSha256, region, credentials);
    URI uri = URI.create(endpoint.getScheme() + "://" + host + canonicalUri + (canonicalQuery.isEmpty() ? "" : "?" + canonicalQuery));
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).method(method, body)
        .header("x-amz-content-sha256", payloadSha256).header("x-amz-date", headers.get("x-amz-date")).header("Authorization", authorization);
    HttpResponse<T> response;
    try {
      response = http.send(request.build(), handler);
    } catch (IOException e) {
      throw new IOException(method + " " + describe(key.substring(Math.min(prefix.length(), key.length()))) + ": " + e.getMessage(), e);
    }
    if (response.statusCode() / 100 != 2) {
      String what = key.isEmpty() ? "s3://" + bucket + "/ (list " + query.get("prefix") + ")" : "s3://" + bucket + "/" + key;
      String code = errorCode(response.body());
      throw new IOException(method + " " + what + " answered " + response.statusCode() + code + hint(response.statusCode(), code));
    }
    return response;
  }

  static String hint(int status, String code) {
    if (status == 403) return ": the credentials in the backup's S3 Secret were refused (a wrong key id or secret, or no permission on the bucket)";
    if (code.equals(" NoSuchBucket")) return ": check backupS3Bucket and that the bucket exists";
    return "";
  }

  /** S3's error code from an XML error body (` SignatureDoesNotMatch`), or nothing. Never the body itself. */
  static String errorCode(Object body) {
    try {
      byte[] bytes = body instanceof byte[] ? (byte[]) body : body instanceof Path ? Files.readAllBytes((Path) body) : new byte[0];
      String code = bytes.length == 0 ? null : text(xml(bytes), "Code");
      return code == null || !code.matches("[A-Za-z0-9.]{1,64}") ? "" : " " + code;
    } catch (Exception e) {
      return "";
    }
  }

  // ---- Signature Version 4 ------------------------------------------------------------------

  /**
   * The Authorization header of a request: `headers` are the signed ones (lower-case names,
   * sorted, host and x-amz-date among them), `canonicalUri` and `canonicalQuery` already encoded.
   */
  static String authorization(String method, String canonicalUri, String canonicalQuery, TreeMap<String, String> headers,
      String payloadSha256, String region, Credentials credentials) throws Exception {
    String amzDate = headers.get("x-amz-date");
    String day = amzDate.substring(0, 8);
    StringBuilder canonicalHeaders = new StringBuilder();
    for (Map.Entry<String, String> h : headers.entrySet()) canonicalHeaders.append(h.getKey()).append(':').append(h.getValue().trim()).append('\n');
    String signedHeaders = String.join(";", headers.keySet());
    String canonicalRequest = String.join("\n", method, canonicalUri, canonicalQuery, canonicalHeaders.toString(), signedHeaders, payloadSha256);
    String scope = day + "/" + region + "/s3/aws4_request";
    String stringToSign = String.join("\n", "AWS4-HMAC-SHA256", amzDate, scope, hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8))));
    byte[] key = hmac(("AWS4" + credentials.key).getBytes(StandardCharsets.UTF_8), day);
    for (String part : new String[] {region, "s3", "aws4_request"}) key = hmac(key, part);
    return "AWS4-HMAC-SHA256 Credential=" + credentials.id + "/" + scope + ",SignedHeaders=" + signedHeaders
        + ",Signature=" + hex(hmac(key, stringToSign));
  }

  /** Query parameters sorted by name, names and values URI-encoded ('/' too). */
  static String canonicalQuery(Map<String, String> query) {
    TreeMap<String, String> sorted = new TreeMap<>();
    query.forEach((k, v) -> sorted.put(encode(k, true), encode(v, true)));
    List<String> pairs = new ArrayList<>();
    sorted.forEach((k, v) -> pairs.add(k + "=" + v));
    return String.join("&", pairs);
  }

  /** A path URI-encoded segment by segment, the slashes kept (S3 encodes once, not twice). */
  static String encodePath(String path) {
    return encode(path, false);
  }

  /** RFC 3986 encoding as SigV4 wants it: unreserved characters kept, every other byte %XX upper-case. */
  static String encode(String s, boolean slash) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !slash)) out.append(c);
      else out.append(String.format("%%%02X", b & 0xff));
    }
    return out.toString();
  }

  /** host[:port] as the HTTP client sends it in the Host header: the port only when the URL names one. */
  static String authority(URI endpoint) {
    return endpoint.getPort() == -1 ? endpoint.getHost() : endpoint.getHost() + ":" + endpoint.getPort();
  }

  static byte[] hmac(byte[] key, String data) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] sha256(byte[] data) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(data);
  }

  static byte[] sha256(Path file) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n = in.read(buffer); n > 0; n = in.read(buffer)) digest.update(buffer, 0, n);
    }
    return digest.digest();
  }

  static String hex(byte[] bytes) {
    StringBuilder hex = new StringBuilder();
    for (byte b : bytes) hex.append(String.format("%02x", b));
    return hex.toString();
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** An SSL context that trusts the PEM certificates of one file (the endpoint's CA) only. */
  static SSLContext trusting(Path pem) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    int n = 0;
    try (InputStream in = Files.newInputStream(pem)) {
      for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) store.setCertificateEntry("ca-" + n++, certificate);
    }
    if (n == 0) throw new IOException(pem + " holds no PEM certificate");
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  /** Parses S3's XML without resolving any DTD or external entity. */
  static Document xml(byte[] body) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    factory.setExpandEntityReferences(false);
    return factory.newDocumentBuilder().parse(new ByteArrayInputStream(body));
  }

  static String text(Document document, String tag) {
    NodeList nodes = document.getElementsByTagName(tag);
    return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent();
  }

  static String required(String name) throws IOException {
    String value = System.getenv(name);
    if (value == null || value.isEmpty()) throw new IOException(name + " is not set in the backup pod's environment");
    return value;
  }

  static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null ? fallback : v;
  }
}
