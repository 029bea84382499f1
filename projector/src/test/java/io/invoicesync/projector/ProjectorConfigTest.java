package io.invoicesync.projector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The projector's Kafka clients: shared security settings, tuning pass-through, and guards on what its loops rely on. */
class ProjectorConfigTest {

  private static ProjectorConfig with(String... keyValues) {
    Map<String, Object> m = new HashMap<>(Map.of(ProjectorConfig.BOOTSTRAP_SERVERS, "broker:9093", ProjectorConfig.JDBC_URL, "jdbc:postgresql://db/q"));
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return new ProjectorConfig(m);
  }

  @Test
  void consumersProducerAndAdminGetTheSharedSecuritySettingsThenTheirTuning() {
    ProjectorConfig c = with("security.protocol", "SSL", "ssl.keystore.location", "/k.p12", "consumer.fetch.min.bytes", "1024",
        "producer.linger.ms", "20");
    assertThat(c.consumerProperties("g")).containsEntry("security.protocol", "SSL").containsEntry("ssl.keystore.location", "/k.p12")
        .containsEntry("fetch.min.bytes", "1024").containsEntry("isolation.level", "read_committed").containsEntry("group.id", "g");
    assertThat(c.producerProperties("p")).containsEntry("security.protocol", "SSL").containsEntry("linger.ms", "20")
        .containsEntry("acks", "all");
    assertThat(c.adminProperties()).containsEntry("security.protocol", "SSL").containsEntry("bootstrap.servers", "broker:9093");
  }

  @Test
  void tuningCannotBreakCommittedOnlyReadsCommitsAfterWriteOrTheGroup() {
    assertThatThrownBy(() -> with("consumer.isolation.level", "read_uncommitted")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("projector.consumer.isolation.level").hasMessageContaining("needs read_committed");
    assertThatThrownBy(() -> with("consumer.enable.auto.commit", "true")).hasMessageContaining("needs false");
    assertThatThrownBy(() -> with("consumer.group.id", "other")).hasMessageContaining("invoice-sync sets it itself");
    assertThatThrownBy(() -> with("producer.enable.idempotence", "false")).hasMessageContaining("projector.producer.enable.idempotence");
    assertThatThrownBy(() -> with("consumer.max.pol.records", "5")).hasMessageContaining("not a configuration of the Kafka consumer client");
  }

  @Test
  void shouldTakeTheBatchSizeFromItsOwnKeyNotFromAConsumerOverride() {
    assertThatThrownBy(() -> with("consumer.max.poll.records", "50000")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("projector.consumer.max.poll.records").hasMessageContaining("set projector.max.poll.records instead");
    assertThat(with("max.poll.records", "250").consumerProperties("g")).containsEntry("max.poll.records", 250);
  }
}
