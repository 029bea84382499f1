package io.invoicesync.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.invoicesync.streams.rules.ValidationRules;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/** The guards on {@code streams.*} overrides, and the defaults' single copy. */
class SyncStreamsConfigTest {

  private static SyncStreamsConfig with(String key, String value) {
    return new SyncStreamsConfig(Map.of(SyncStreamsConfig.BOOTSTRAP_SERVERS, "localhost:9092", key, value));
  }

  @Test
  void refusesWeakeningExactlyOnceNamingTheKey() {
    assertThatThrownBy(() -> with("streams.processing.guarantee", "at_least_once")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("streams.processing.guarantee").hasMessageContaining("exactly_once_v2");
    assertThatThrownBy(() -> with("streams.producer.acks", "1")).hasMessageContaining("streams.producer.acks");
    assertThatThrownBy(() -> with("streams.application.id", "x")).hasMessageContaining("set 'application.id' instead");
  }

  @Test
  void letsTuningThrough() {
    assertThat(with("streams.num.standby.replicas", "1").streamsProperties()).containsEntry(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, "1");
  }

  @Test
  void theRulesDefaultsAreTheConfigsDefaults() {
    ValidationRules fromConfig = new SyncStreamsConfig(Map.of(SyncStreamsConfig.BOOTSTRAP_SERVERS, "x:1")).validationRules();
    ValidationRules defaults = ValidationRules.defaults();
    assertThat(defaults.lineTaxTolerance()).isEqualByComparingTo(fromConfig.lineTaxTolerance());
    assertThat(defaults.taxRates()).isEqualTo(fromConfig.taxRates());
    assertThat(defaults.maxIssueAge()).isEqualTo(fromConfig.maxIssueAge());
  }

  @Test
  void configDefIsACopy() {
    SyncStreamsConfig.configDef().define("x", org.apache.kafka.common.config.ConfigDef.Type.STRING, "",
        org.apache.kafka.common.config.ConfigDef.Importance.LOW, "x");
    assertThat(SyncStreamsConfig.configDef().names()).doesNotContain("x");
  }

  @Test
  void streamsAndItsAdminGetTheSharedSecuritySettings() {
    SyncStreamsConfig c = with("security.protocol", "SASL_SSL");
    assertThat(c.streamsProperties()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(c.kafkaCommon()).containsEntry("security.protocol", "SASL_SSL");
  }
}
