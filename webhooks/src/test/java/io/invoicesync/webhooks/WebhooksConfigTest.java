package io.invoicesync.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class WebhooksConfigTest {

  static Map<String, Object> base() {
    Map<String, Object> m = new HashMap<>();
    m.put("bootstrap.servers", "kafka:9092");
    m.put("jdbc.url", "jdbc:postgresql://db/querystore");
    return m;
  }

  @Test
  void shouldNameTheKeyOfABadDelay() {
    Map<String, Object> m = base();
    m.put("retry.schedule", "0s,5 minutes");
    assertThatThrownBy(() -> new WebhooksConfig(m)).isInstanceOf(ConfigException.class).hasMessageContaining("retry.schedule")
        .hasMessageContaining("5 minutes");
    m.put("retry.schedule", "0,250ms,2s,1m,1h,1d");
    assertThat(new WebhooksConfig(m).schedule()).containsExactly(Duration.ZERO, Duration.ofMillis(250), Duration.ofSeconds(2),
        Duration.ofMinutes(1), Duration.ofHours(1), Duration.ofDays(1));
  }

  @Test
  void shouldCheckEachConfiguredEndpointNamingItsKeyAndNeverItsSecret() {
    Map<String, Object> m = base();
    m.put("endpoints", "erp");
    assertThatThrownBy(() -> new WebhooksConfig(m)).hasMessageContaining("endpoint.erp.url");
    m.put("endpoint.erp.url", "http://erp.example.com/hooks");
    assertThatThrownBy(() -> new WebhooksConfig(m)).as("https only by default").hasMessageContaining("endpoint.erp.url")
        .hasMessageContaining("https");
    m.put("endpoint.erp.url", "https://erp.example.com/hooks");
    m.put("endpoint.erp.secret", "whsec_tooShort");
    assertThatThrownBy(() -> new WebhooksConfig(m)).hasMessageContaining("endpoint.erp.secret").hasMessageNotContaining("tooShort");
    m.put("endpoint.erp.secret", Signatures.newSecret());
    m.put("endpoint.erp.events", "invoice.visible,invoice.lost");
    assertThatThrownBy(() -> new WebhooksConfig(m)).hasMessageContaining("endpoint.erp.events").hasMessageContaining("invoice.lost")
        .hasMessageContaining("invoice.rejected");
    m.put("endpoint.erp.events", "invoice.visible, invoice.rejected");
    WebhooksConfig.ConfiguredEndpoint e = new WebhooksConfig(m).configuredEndpoints().get(0);
    assertThat(e.id()).isEqualTo("cfg_erp");
    assertThat(e.events()).containsExactly("invoice.visible", "invoice.rejected");
  }

  @Test
  void shouldGiveTheApiTheSameDefaultsAsTheDispatcher() {
    WebhooksConfig.ApiSettings d = WebhooksConfig.apiSettings(Map.of());
    assertThat(d.allowHttp()).isFalse();
    assertThat(d.allowPrivate()).isFalse();
    assertThat(d.rotationOverlap()).isEqualTo(Duration.ofHours(24));
    assertThat(WebhooksConfig.apiSettings(Map.of("webhooks.allow.http", "true")).allowHttp()).isTrue();
    assertThatThrownBy(() -> WebhooksConfig.apiSettings(Map.of("webhooks.secret.rotation.overlap.ms", "soon")))
        .hasMessageContaining("webhooks.secret.rotation.overlap.ms");
  }

  @Test
  void shouldRefuseUrlsThatCannotBeSignedForSafely() {
    assertThatThrownBy(() -> Endpoints.checkUrl("ftp://x.example.com", true, false)).hasMessageContaining("ftp");
    assertThatThrownBy(() -> Endpoints.checkUrl("https://user:pw@x.example.com", false, false)).hasMessageContaining("user or password")
        .hasMessageNotContaining("pw");
    assertThatThrownBy(() -> Endpoints.checkUrl("https:///nohost", false, false)).hasMessageContaining("host");
    assertThat(Endpoints.checkUrl("https://erp.example.com/hooks?x=1", false, false).getHost()).isEqualTo("erp.example.com");
    // a token's endpoint may not make the dispatcher probe this machine or the deployment's network
    for (String inside : List.of("https://127.0.0.1:8443/x", "https://localhost/x", "https://169.254.169.254/latest/meta-data", "https://10.1.2.3/",
        "https://192.168.0.10/", "https://172.16.5.5/", "https://[::1]/x", "https://[fd00::1]/x")) {
      assertThatThrownBy(() -> Endpoints.checkUrl(inside, false, false)).as(inside).hasMessageContaining("webhooks.allow.private.addresses");
      assertThat(Endpoints.checkUrl(inside, false, true)).as(inside + " when allowed").isNotNull();
    }
    assertThat(Endpoints.eventTypes(List.of())).isEmpty();
  }
}
