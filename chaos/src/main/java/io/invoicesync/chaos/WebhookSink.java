package io.invoicesync.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.standardwebhooks.Webhook;
import com.sun.net.httpserver.HttpServer;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.webhooks.Endpoint;
import io.invoicesync.webhooks.Endpoints;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;

/**
 * An ERP's webhook endpoint for the webhook scenarios: a real HTTP server that verifies every delivery
 * with the Standard Webhooks reference library, applies invoice.visible by version and records, per
 * invoice, the versions in the order it accepted them (each message once). Stopped, it refuses
 * connections; started again, it listens on the same port. The judge compares what it got with the
 * query store: every invoice at its stored version, versions in order, one id per version.
 */
final class WebhookSink implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final int port;
  private final String secret;
  private final String endpointId;
  private final ExecutorService threads = Executors.newFixedThreadPool(8);
  private final Map<String, List<Integer>> versions = new ConcurrentHashMap<>();
  private final Map<String, String> idOfVersion = new ConcurrentHashMap<>();
  private final Map<String, Boolean> seen = new ConcurrentHashMap<>();
  private final List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
  private volatile long requests;
  private HttpServer server;

  private WebhookSink(int port, String secret, String endpointId) {
    this.port = port;
    this.secret = secret;
    this.endpointId = endpointId;
  }

  /** A sink on a free port, registered as an operator's endpoint (every taxpayer) for invoice.visible. */
  static WebhookSink register(DataSource store) throws IOException, SQLException {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Endpoint e = new Endpoints(store).create(Tenant.ALL, new Endpoints.Spec("http://127.0.0.1:" + port + "/erp", "chaos ERP",
        List.of("invoice.visible"), null, null, null), true, true);
    WebhookSink sink = new WebhookSink(port, e.secret(), e.id());
    sink.start();
    return sink;
  }

  synchronized void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
    server.setExecutor(threads);
    server.createContext("/erp", exchange -> {
      requests++;
      byte[] raw;
      try (InputStream in = exchange.getRequestBody()) {
        raw = in.readAllBytes();
      }
      String body = new String(raw, StandardCharsets.UTF_8);
      Map<String, List<String>> headers = new HashMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
      int status = 204;
      try {
        new Webhook(secret).verify(body, headers);
        accept(headers.get("webhook-id").get(0), JSON.readTree(body));
      } catch (Exception e) {
        problems.add("a delivery did not verify: " + e.getMessage());
        status = 400;
      }
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    server.start();
  }

  private void accept(String id, JsonNode msg) {
    JsonNode inv = msg.get("data").get("invoice");
    String invoice = inv.get("id").asText();
    int version = inv.get("sync").get("version").asInt();
    String earlier = idOfVersion.putIfAbsent(invoice + "#" + version, id);
    if (earlier != null && !earlier.equals(id)) {
      problems.add(invoice + " v" + version + " came as two messages, " + earlier + " and " + id);
    }
    if (seen.putIfAbsent(id, Boolean.TRUE) == null) {
      versions.computeIfAbsent(invoice, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(version);
    }
  }

  /** Refuses connections from now on. */
  synchronized void stop() {
    if (server != null) {
      server.stop(0);
      server = null;
    }
  }

  /** Whether something listens on the sink's port (the fault's evidence). */
  boolean listening() {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * How long the oldest invoice of {@code prefix} visible since {@code since} has waited for its
   * stored version to reach the sink, in seconds (0 when nothing waits).
   */
  double lagSeconds(DataSource store, String prefix, Instant since) throws SQLException {
    double worst = 0;
    for (Map.Entry<String, Object[]> e : visible(store, prefix, since).entrySet()) {
      List<Integer> got = versions.get(e.getKey());
      int version = (Integer) e.getValue()[0];
      if (got == null || !got.contains(version)) {
        worst = Math.max(worst, (Double) e.getValue()[1]);
      }
    }
    return worst;
  }

  /** What went wrong for the invoices of {@code prefix}: not received at their stored version, versions out of order, bad deliveries. */
  List<String> judge(DataSource store, String prefix) throws SQLException {
    List<String> out = new ArrayList<>(problems);
    for (Map.Entry<String, Object[]> e : visible(store, prefix, Instant.EPOCH).entrySet()) {
      List<Integer> got = versions.get(e.getKey());
      int version = (Integer) e.getValue()[0];
      if (got == null || !got.contains(version)) {
        out.add("the ERP never got " + e.getKey() + " v" + version + " (it got " + got + ")");
        continue;
      }
      List<Integer> copy;
      synchronized (got) {
        copy = List.copyOf(got);
      }
      for (int i = 1; i < copy.size(); i++) {
        if (copy.get(i) <= copy.get(i - 1)) {
          out.add(e.getKey() + ": versions reached the ERP as " + copy);
          break;
        }
      }
    }
    return out;
  }

  private static Map<String, Object[]> visible(DataSource store, String prefix, Instant since) throws SQLException {
    Map<String, Object[]> out = new LinkedHashMap<>();
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT id, version, extract(epoch FROM now() - projected_at) FROM invoice WHERE id LIKE ? AND projected_at >= ?")) {
      ps.setString(1, prefix + "%");
      ps.setTimestamp(2, java.sql.Timestamp.from(since));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), new Object[] {rs.getInt(2), rs.getDouble(3)});
        }
      }
    }
    return out;
  }

  String endpointId() {
    return endpointId;
  }

  long requests() {
    return requests;
  }

  @Override
  public void close() {
    stop();
    threads.shutdownNow();
  }
}
