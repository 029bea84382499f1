package io.invoicesync.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** How the operator commands reach a secured cluster: --config, --command-config and --bootstrap, later ones winning. */
class KafkaConnectionTest {

  @Command
  static final class Probe {
    @Mixin
    KafkaConnection kafka;
  }

  @TempDir
  Path dir;

  private KafkaConnection parse(String... args) {
    Probe p = new Probe();
    new CommandLine(p).parseArgs(args);
    return p.kafka;
  }

  @Test
  void theRunConfigurationsSecuritySettingsThenACommandConfigThenBootstrap() throws Exception {
    Path run = Files.writeString(dir.resolve("run.properties"), "bootstrap.servers=broker:9093\nsecurity.protocol=SASL_SSL\n"
        + "sasl.mechanism=SCRAM-SHA-512\nprojector.jdbc.url=jdbc:postgresql://db/q\n");
    assertThat(parse("--config", run.toString()).clientConfig()).containsEntry("bootstrap.servers", "broker:9093")
        .containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512").doesNotContainKey("projector.jdbc.url");

    Path client = Files.writeString(dir.resolve("client.properties"), "security.protocol=SSL\nssl.truststore.location=/ts.p12\n");
    assertThat(parse("--config", run.toString(), "--command-config", client.toString(), "--bootstrap", "other:9094").clientConfig())
        .containsEntry("bootstrap.servers", "other:9094").containsEntry("security.protocol", "SSL")
        .containsEntry("ssl.truststore.location", "/ts.p12").containsEntry("sasl.mechanism", "SCRAM-SHA-512");
  }

  @Test
  void saysWhatToGiveWhenNothingNamesTheCluster() {
    assertThatThrownBy(() -> parse().clientConfig()).hasMessageContaining("give --bootstrap, or --config/--command-config");
  }
}
