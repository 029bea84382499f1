package io.invoicesync.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.Test;

/** The requests the tests' GET helper builds (none sent). */
class TestHttpTest {

  @Test
  void shouldBuildAGetOfLocalhostBoundedByTheTimeout() {
    HttpRequest request = TestHttp.request(TestHttp.localhost(8080, "/api/v1/invoices?limit=2")).build();

    assertThat(request.method()).isEqualTo("GET");
    assertThat(request.uri()).isEqualTo(URI.create("http://localhost:8080/api/v1/invoices?limit=2"));
    assertThat(request.timeout()).contains(TestHttp.TIMEOUT);
    assertThat(request.headers().firstValue("Authorization")).isEmpty();
  }

  @Test
  void shouldSendTheBearerTokenOnlyWhenGivenOne() {
    HttpRequest request = TestHttp.request(URI.create("https://localhost:8443/health"), "t0ken").build();

    assertThat(request.headers().firstValue("Authorization")).contains("Bearer t0ken");
    assertThatThrownBy(() -> TestHttp.request(URI.create("https://localhost:8443/health"), null)).hasMessageContaining("bearerToken");
  }

  @Test
  void shouldRefuseAPathThatDoesNotStartWithASlash() {
    assertThatThrownBy(() -> TestHttp.localhost(8080, "health")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("health");
  }
}
