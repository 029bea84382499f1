package io.invoicesync.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.invoicesync.streams.rules.ValidationRules;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    // the restore consumer's short empty-fetch wait (start-up: a round of tasks does not wait out the previous round's fetch), and an
    // operator's own value over it
    assertThat(with("streams.num.standby.replicas", "1").streamsProperties()).containsEntry("restore.consumer.fetch.max.wait.ms", 50);
    assertThat(with("streams.restore.consumer.fetch.max.wait.ms", "500").streamsProperties()).containsEntry("restore.consumer.fetch.max.wait.ms", "500");
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

  @Test
  void refusesCheckpointsOffUnlessSaidExplicitly() {
    assertThatThrownBy(() -> with(SyncStreamsConfig.AUDIT_CHECKPOINT_INTERVAL_MS, "0")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("audit.checkpoint.interval.ms").hasMessageContaining("audit.checkpoints.enabled=false");
    SyncStreamsConfig off = new SyncStreamsConfig(Map.of(SyncStreamsConfig.BOOTSTRAP_SERVERS, "x:1",
        SyncStreamsConfig.AUDIT_CHECKPOINT_INTERVAL_MS, "0", SyncStreamsConfig.AUDIT_CHECKPOINTS_ENABLED, "false"));
    assertThat(off.auditCheckpointInterval()).isZero();
    assertThat(with(SyncStreamsConfig.AUDIT_CHECKPOINT_INTERVAL_MS, "1000").auditCheckpointInterval()).hasMillis(1000);
  }

  @Test
  void signingKeysNameTheirIdAndRefuseWhatIsNotAKey(@TempDir Path dir) throws Exception {
    assertThat(with("x", "y").auditSigningKey()).isNull(); // unkeyed by default
    Path key = Files.write(dir.resolve("audit-2026.key"), "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));
    assertThat(with(SyncStreamsConfig.AUDIT_SIGNING_KEY_FILE, key.toString()).auditSigningKey().id()).isEqualTo("audit-2026");
    assertThatThrownBy(() -> with(SyncStreamsConfig.AUDIT_SIGNING_KEY, "0123456789abcdef0123")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("audit.signing.key.id").hasMessageContaining("is required");
    assertThat(new SyncStreamsConfig(Map.of(SyncStreamsConfig.BOOTSTRAP_SERVERS, "x:1", SyncStreamsConfig.AUDIT_SIGNING_KEY,
        "0123456789abcdef0123", SyncStreamsConfig.AUDIT_SIGNING_KEY_ID, "k7")).auditSigningKey().id()).isEqualTo("k7");
    assertThatThrownBy(() -> new SyncStreamsConfig(Map.of(SyncStreamsConfig.BOOTSTRAP_SERVERS, "x:1", SyncStreamsConfig.AUDIT_SIGNING_KEY,
        "short", SyncStreamsConfig.AUDIT_SIGNING_KEY_ID, "k7"))).hasMessageContaining("audit.signing.key").hasMessageContaining("at least 16")
        .hasMessageNotContaining("short");
    assertThatThrownBy(() -> with(SyncStreamsConfig.AUDIT_SIGNING_PRIVATE_KEY, key.toString())).hasMessageContaining("audit.signing.private.key")
        .hasMessageContaining("Ed25519");
    assertThatThrownBy(() -> with(SyncStreamsConfig.AUDIT_SIGNING_KEY_FILE, dir.resolve("missing.key").toString()))
        .hasMessageContaining("audit.signing.key.file").hasMessageContaining("cannot be read");
    assertThatThrownBy(() -> new SyncStreamsConfig(Map.of(SyncStreamsConfig.BOOTSTRAP_SERVERS, "x:1", SyncStreamsConfig.AUDIT_SIGNING_KEY,
        "0123456789abcdef0123", SyncStreamsConfig.AUDIT_SIGNING_KEY_FILE, key.toString()))).hasMessageContaining("not several");
  }
}
