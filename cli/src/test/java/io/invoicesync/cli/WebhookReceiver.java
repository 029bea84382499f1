package io.invoicesync.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.standardwebhooks.Webhook;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * An ERP's webhook endpoint, for tests: a real HTTP server on this machine that verifies every
 * delivery with the Standard Webhooks reference library against the secrets it was given, records
 * what it got, and answers as {@code behaviour} says for the n-th request (a status, or a delay first).
 */
final class WebhookReceiver implements AutoCloseable {

  /** One request: its headers, body, whether a secret verified it, and what was answered. */
  record Delivery(String id, String timestamp, String signature, String body, JsonNode json, boolean verified, int answered) {

    String type() {
      return json.get("type").asText();
    }

    String invoiceId() {
      JsonNode d = json.get("data");
      return d.has("invoice") ? d.get("invoice").get("id").asText() : d.path("invoiceId").asText(null);
    }

    int version() {
      return json.get("data").get("invoice").get("sync").get("version").asInt();
    }
  }

  /** What to answer: a status, after sleeping {@code delayMs}. */
  record Answer(int status, long delayMs) {
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final List<Delivery> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();
  private volatile List<String> secrets = List.of();
  private volatile List<String> publicKeys = List.of();
  private volatile IntFunction<Answer> behaviour = n -> new Answer(200, 0);

  WebhookReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", exchange -> {
      int n = requests.incrementAndGet();
      byte[] raw;
      try (InputStream in = exchange.getRequestBody()) {
        raw = in.readAllBytes();
      }
      String body = new String(raw, StandardCharsets.UTF_8);
      Map<String, List<String>> headers = new java.util.HashMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
      boolean verified = false;
      for (String s : secrets) {
        try {
          new Webhook(s).verify(body, headers);
          verified = true;
          break;
        } catch (Exception notThisOne) {
          // the next secret
        }
      }
      for (String k : publicKeys) {
        try {
          verified |= verifiesV1a(k, first(headers, "webhook-id"), first(headers, "webhook-timestamp"), body, first(headers, "webhook-signature"));
        } catch (Exception notThisOne) {
          // the next key
        }
      }
      Answer a = behaviour.apply(n);
      if (a.delayMs() > 0) {
        try {
          Thread.sleep(a.delayMs()); // the endpoint being slow is the point here
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      received.add(new Delivery(first(headers, "webhook-id"), first(headers, "webhook-timestamp"), first(headers, "webhook-signature"), body,
          JSON.readTree(body), verified, a.status()));
      exchange.sendResponseHeaders(a.status(), -1);
      exchange.close();
    });
    server.start();
  }

  private static String first(Map<String, List<String>> headers, String name) {
    List<String> v = headers.get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks";
  }

  /** v1a: verifies with these Ed25519 public keys ({@code whpk_...}), through the JDK's own Ed25519 (Bouncy Castle signs). */
  WebhookReceiver publicKeys(String... keys) {
    this.publicKeys = List.of(keys);
    return this;
  }

  static boolean verifiesV1a(String publicKey, String id, String ts, String body, String header) throws Exception {
    if (id == null || ts == null || header == null || Math.abs(java.time.Instant.now().getEpochSecond() - Long.parseLong(ts)) > 300) {
      return false; // a stale timestamp is refused, as the Standard Webhooks libraries do
    }
    return io.invoicesync.testkit.StandardWebhooksV1a.verifies(publicKey, id, ts, body, header);
  }

  WebhookReceiver secrets(String... secrets) {
    this.secrets = List.of(secrets);
    return this;
  }

  WebhookReceiver behaviour(IntFunction<Answer> behaviour) {
    this.behaviour = behaviour;
    return this;
  }

  /** Every request so far, in arrival order. */
  List<Delivery> received() {
    return new ArrayList<>(received);
  }

  /** The requests it answered 2xx, in arrival order: what the ERP applied. */
  List<Delivery> accepted() {
    return received().stream().filter(d -> d.answered() >= 200 && d.answered() < 300).toList();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
