package io.invoicesync.cli.management;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.ComponentHealth;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The management port, safe by default: loopback unless told, /metrics behind a token when one is set, health detail to its holder. */
class ManagementServerTest {

  static final HttpClient HTTP = HttpClient.newHttpClient();

  static HttpResponse<String> get(int port, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void listensOnLoopbackByDefault() {
    assertThat(new ManagementConfig(Map.of()).getString(ManagementConfig.BIND_ADDRESS)).isEqualTo("127.0.0.1");
  }

  @Test
  void metricsNeedTheTokenAndHealthDetailsGoOnlyToItsHolder() throws Exception {
    ManagementConfig config = new ManagementConfig(Map.of(ManagementConfig.PORT, "0", ManagementConfig.AUTH_TOKEN, "s3cret-token",
        ManagementConfig.HEALTH_DETAILS, "when-authorized"));
    ComponentHealth down = ComponentHealth.failed("STOPPED", new IllegalStateException("PSQLException: connection refused"));
    try (ManagementServer server = ManagementServer.start(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        () -> Map.of("projector", down))) {
      assertThat(get(server.port(), "/metrics", null).statusCode()).isEqualTo(401);
      assertThat(get(server.port(), "/metrics", "wrong").statusCode()).isEqualTo(401);
      assertThat(get(server.port(), "/metrics", "s3cret-token").statusCode()).isEqualTo(200);

      HttpResponse<String> anonymous = get(server.port(), "/health/ready", null);
      assertThat(anonymous.statusCode()).isEqualTo(503);
      assertThat(anonymous.body()).contains("DOWN").doesNotContain("PSQLException", "projector");
      assertThat(get(server.port(), "/health/ready", "s3cret-token").body()).contains("projector", "PSQLException");
      assertThat(get(server.port(), "/health/live", null).statusCode()).isEqualTo(200);
    }
  }
}
