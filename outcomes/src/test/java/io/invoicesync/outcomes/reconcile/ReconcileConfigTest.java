package io.invoicesync.outcomes.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class ReconcileConfigTest {

  @Test
  void shouldTakeTheIntervalAsTheIssueNamesItOrInMilliseconds() {
    assertThat(new ReconcileConfig(Map.of()).intervalMs()).isZero();
    assertThat(new ReconcileConfig(Map.of("interval.ms", "60000")).intervalMs()).isEqualTo(60_000);
    assertThat(new ReconcileConfig(Map.of("interval", "5m", "interval.ms", "60000")).intervalMs()).isEqualTo(300_000);
    assertThat(new ReconcileConfig(Map.of("interval", "300s")).intervalMs()).isEqualTo(300_000);
    assertThat(new ReconcileConfig(Map.of("interval", "1500")).intervalMs()).isEqualTo(1_500);
  }

  @Test
  void shouldRefuseAnIntervalThatIsNoDurationNamingTheKey() {
    assertThatThrownBy(() -> new ReconcileConfig(Map.of("interval", "often"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("reconcile.interval").hasMessageContaining("often");
  }
}
