package io.invoicesync.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The tests' GETs to a server (the query API, a management port, a schema registry): one shared
 * client, the body as a string, every request bounded by {@link #TIMEOUT} so that a server that
 * hangs fails the request instead of holding the test until its own timeout. A test with headers
 * of its own, or a client of its own (TLS), starts from {@link #request(URI)}.
 */
public final class TestHttp {

  /** Longest a request may take, its answer included (the query API's statement timeout is 5 s by default). */
  public static final Duration TIMEOUT = Duration.ofSeconds(10);
  /** Longest a connection may take to open: a server on this machine accepts at once or not at all. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();

  private TestHttp() {
  }

  /** {@code GET http://localhost:port/path}, without credentials. */
  public static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return send(request(localhost(port, path)).build());
  }

  /** {@code GET http://localhost:port/path} with {@code Authorization: Bearer <bearerToken>}. */
  public static HttpResponse<String> get(int port, String path, String bearerToken) throws IOException, InterruptedException {
    Objects.requireNonNull(bearerToken, "bearerToken: for a request without one, use get(port, path)");
    return send(request(localhost(port, path), bearerToken).build());
  }

  /** {@code GET uri}, without credentials (a server that is not on localhost, or not plain http). */
  public static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
    return send(request(uri).build());
  }

  /** {@code http://localhost:port/path}; {@code path} starts with '/' and may carry a query. */
  public static URI localhost(int port, String path) {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path must start with '/': " + path);
    }
    return URI.create("http://localhost:" + port + path);
  }

  /** A GET of {@code uri} with the timeout, for a request with headers of its own. */
  public static HttpRequest.Builder request(URI uri) {
    return HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET();
  }

  /** A GET of {@code uri} with the timeout and {@code Authorization: Bearer <bearerToken>}. */
  public static HttpRequest.Builder request(URI uri, String bearerToken) {
    Objects.requireNonNull(bearerToken, "bearerToken: for a request without one, use request(uri)");
    return request(uri).header("Authorization", "Bearer " + bearerToken);
  }

  /** Sends {@code request} on the shared client, the body as a string. */
  public static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** Sends {@code request} on the shared client without waiting (a burst of concurrent requests). */
  public static CompletableFuture<HttpResponse<String>> sendAsync(HttpRequest request) {
    return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }
}
