package io.invoicesync.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The guards on {@code debezium.*} pass-through: what ingest relies on cannot be overridden. */
class IngestConfigTest {

  private static IngestConfig with(String key, String value) {
    return new IngestConfig(Map.of(IngestConfig.BOOTSTRAP_SERVERS, "localhost:9092", key, value));
  }

  @Test
  void refusesTurningOffTransactionMetadataNamingTheKey() {
    assertThatThrownBy(() -> with("debezium.provide.transaction.metadata", "false")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("debezium.provide.transaction.metadata").hasMessageContaining("ingest needs true");
  }

  @Test
  void refusesAPublicationModeAndAKeyIngestDerivesFromItsOwn() {
    assertThatThrownBy(() -> with("debezium.publication.autocreate.mode", "all_tables")).hasMessageContaining("disabled");
    assertThatThrownBy(() -> with("debezium.slot.name", "other")).hasMessageContaining("ingest sets it from its own key(s): slot.name");
  }

  @Test
  void letsTuningThroughAndTheRequiredValueItself() {
    assertThat(with("debezium.max.batch.size", "4096").debeziumOverrides()).containsEntry("max.batch.size", "4096");
    assertThat(with("debezium.provide.transaction.metadata", "true").debeziumOverrides()).hasSize(1);
  }
}
