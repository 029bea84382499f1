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

  @Test
  void everyKafkaClientOfIngestGetsTheSharedSecuritySettingsAndItsOwnJdbcConnectionsDebeziumsTls() {
    IngestConfig c = new IngestConfig(Map.of(IngestConfig.BOOTSTRAP_SERVERS, "broker:9093", "security.protocol", "SASL_SSL",
        "sasl.mechanism", "SCRAM-SHA-512", "ssl.truststore.location", "/etc/kafka/ts.p12", "signal.channel", "kafka",
        "debezium.database.sslmode", "verify-full", "debezium.database.sslrootcert", "/etc/pg/root.crt", "producer.batch.size", "65536"));
    assertThat(c.kafkaCommon()).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("bootstrap.servers", "broker:9093");
    assertThat(c.producerOverrides()).containsExactly(Map.entry("batch.size", "65536"));
    java.util.Properties engine = new IngestService(c, new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).engineProperties();
    assertThat(engine).as("the offset store's clients take the worker's top-level settings")
        .containsEntry("security.protocol", "SASL_SSL").containsEntry("ssl.truststore.location", "/etc/kafka/ts.p12")
        .containsEntry("signal.consumer.security.protocol", "SASL_SSL").containsEntry("database.sslmode", "verify-full");
    assertThat(c.jdbcProperties()).containsEntry("sslmode", "verify-full").containsEntry("sslrootcert", "/etc/pg/root.crt");
  }

  @Test
  void aMappingFileNamesTheTablesIngestCapturesAndABrokenOneIsRefusedWithEveryProblem(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    assertThat(new IngestConfig(Map.of(IngestConfig.BOOTSTRAP_SERVERS, "broker:9092")).qualifiedInvoiceTable())
        .as("no mapping file: the reference tables ingest.source.* name").isEqualTo("issuing.invoice");
    java.nio.file.Path ok = dir.resolve("fp.yaml");
    java.nio.file.Files.writeString(ok, String.join("\n", "version: 1", "header: {table: skj.fp_kj, key: [fphm]}",
        "lines: {table: skj.fp_mx, join: {fphm: fphm}}", "invoice: {id: fphm, status: {constant: ISSUED}}", "line: {lineNo: xh}"));
    IngestConfig c = new IngestConfig(Map.of(IngestConfig.BOOTSTRAP_SERVERS, "broker:9092", IngestConfig.MAPPING_FILE, ok.toString()));
    assertThat(c.qualifiedInvoiceTable()).isEqualTo("skj.fp_kj");
    assertThat(c.qualifiedLineTable()).isEqualTo("skj.fp_mx");
    assertThat(c.mapping().key()).containsExactly("fphm");
    java.util.Properties engine = new IngestService(c, new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).engineProperties();
    assertThat(engine).as("Debezium's configuration generated from the mapping: its key (what a resync's incremental snapshot chunks "
        + "by, the table having no primary key) and only the columns it reads, besides the signal and heartbeat tables' own")
        .containsEntry("message.key.columns", "skj.fp_kj:fphm")
        .containsEntry("table.include.list", "skj\\.fp_kj,skj\\.fp_mx,issuing\\.invoice_sync_heartbeat,issuing\\.invoice_sync_signal")
        .containsEntry("column.include.list", "skj\\.fp_kj\\.fphm,skj\\.fp_mx\\.fphm,skj\\.fp_mx\\.xh,"
            + "issuing\\.invoice_sync_heartbeat\\..*,issuing\\.invoice_sync_signal\\..*");

    java.nio.file.Path broken = dir.resolve("broken.yaml");
    java.nio.file.Files.writeString(broken, java.nio.file.Files.readString(ok).replace("status: {constant: ISSUED}", "statuss: x"));
    org.apache.kafka.common.config.ConfigException e = org.assertj.core.api.Assertions.catchThrowableOfType(
        org.apache.kafka.common.config.ConfigException.class,
        () -> new IngestConfig(Map.of(IngestConfig.BOOTSTRAP_SERVERS, "broker:9092", IngestConfig.MAPPING_FILE, broken.toString())));
    assertThat(e.getMessage()).contains("mapping.file", "is not a valid mapping", "statuss");
  }

  @Test
  void reconnectsToTheIssuingDatabaseAtMostTwoSecondsApartUnlessTold() {
    Map<String, String> base = Map.of(IngestConfig.BOOTSTRAP_SERVERS, "broker:9092");
    java.util.Properties engine = new IngestService(new IngestConfig(base), new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
        .engineProperties();
    assertThat(engine).as("capture resumes within 2 s of the database's return, not Debezium's 10 s")
        .containsEntry("errors.retry.delay.max.ms", "2000").containsEntry("retriable.restart.connector.wait.ms", "2000")
        .containsEntry("errors.max.retries", "-1");
    Map<String, String> told = new java.util.HashMap<>(base);
    told.put("debezium.errors.retry.delay.max.ms", "30000");
    assertThat(new IngestService(new IngestConfig(told), new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).engineProperties())
        .containsEntry("errors.retry.delay.max.ms", "30000");
  }

  @Test
  void producerTuningCannotTouchWhatOneChangePerTransactionReliesOn() {
    assertThatThrownBy(() -> with("producer.acks", "1")).hasMessageContaining("ingest.producer.acks").hasMessageContaining("needs all");
    assertThatThrownBy(() -> with("producer.transactional.id", "x")).hasMessageContaining("invoice-sync sets it itself");
    assertThatThrownBy(() -> with("producer.lingr.ms", "5")).hasMessageContaining("not a configuration of the Kafka producer client");
    assertThatThrownBy(() -> with("producer.security.protocol", "SSL")).hasMessageContaining("security settings are shared");
  }
}
