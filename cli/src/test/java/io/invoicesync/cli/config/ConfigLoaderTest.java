package io.invoicesync.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir
  Path dir;

  private Path file(String... lines) throws Exception {
    Path f = dir.resolve("invoice-sync.properties");
    Files.writeString(f, String.join("\n", lines) + "\n");
    return f;
  }

  @Test
  void environmentOverridesTheFileDebeziumServerStyle() throws Exception {
    Path f = file("bootstrap.servers=kafka:9092", "projector.jdbc.url=jdbc:postgresql://db/querystore", "projector.jdbc.password=from-file");
    Map<String, String> v = ConfigLoader.load(f, Map.of(
        "INVOICESYNC_PROJECTOR_JDBC_PASSWORD", "from-env",
        "INVOICESYNC_MANAGEMENT_PORT", "9001",
        "INVOICESYNC_PROJECTOR_CONSUMER_MAX_POLL_INTERVAL_MS", "600000", // a pass-through key: dots from underscores
        "PATH", "/usr/bin", "INVOICESYNCX", "not ours"));
    assertThat(v).containsEntry("projector.jdbc.password", "from-env")
        .containsEntry("management.port", "9001")
        .containsEntry("projector.consumer.max.poll.interval.ms", "600000")
        .containsEntry("bootstrap.servers", "kafka:9092")
        .doesNotContainKey("path");
    assertThat(ConfigLoader.envName("ingest.debezium.database.sslmode")).isEqualTo("INVOICESYNC_INGEST_DEBEZIUM_DATABASE_SSLMODE");
  }

  @Test
  void aMisspeltKeyFailsNamingItAsWrittenAndTheClosestKnownKey() throws Exception {
    Path f = file("bootstrap.servers=kafka:9092", "projector.jdbc.ulr=jdbc:postgresql://db/querystore");
    assertThatThrownBy(() -> ConfigLoader.load(f, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown configuration key 'projector.jdbc.ulr'")
        .hasMessageContaining(f.toString())
        .hasMessageContaining("did you mean 'projector.jdbc.url'?");

    assertThatThrownBy(() -> ConfigLoader.load(file("bootstrap.servers=k:9092"), Map.of("INVOICESYNC_INGEST_DATABASE_HOSTNMAE", "db")))
        .hasMessageContaining("unknown configuration key 'ingest.database.hostnmae' (environment variable INVOICESYNC_INGEST_DATABASE_HOSTNMAE)")
        .hasMessageContaining("did you mean 'ingest.database.hostname' (INVOICESYNC_INGEST_DATABASE_HOSTNAME)?");

    assertThatThrownBy(() -> ConfigLoader.load(file("completely.unrelated.setting=1"), Map.of()))
        .hasMessageContaining("'completely.unrelated.setting'").hasMessageContaining("config-template");
  }

  @Test
  void passThroughKeysAreCheckedAgainstTheLibraryThatReceivesThem() throws Exception {
    Map<String, String> ok = ConfigLoader.load(file("bootstrap.servers=k:9092", "security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512",
        "ssl.truststore.location=/etc/kafka/truststore.p12", "projector.consumer.fetch.min.bytes=1024", "projector.producer.linger.ms=10",
        "ingest.producer.batch.size=65536", "ingest.debezium.database.sslmode=verify-full", "streams.streams.num.standby.replicas=1",
        "streams.streams.main.consumer.max.poll.records=500", "streams.streams.producer.linger.ms=20"), Map.of());
    assertThat(ok).hasSize(11);

    assertThatThrownBy(() -> ConfigLoader.load(file("projector.consumer.max.pol.interval.ms=1"), Map.of()))
        .hasMessageContaining("keys under 'projector.consumer.' go to the projector's and outcome recorder's Kafka consumers")
        .hasMessageContaining("does not know 'max.pol.interval.ms'")
        .hasMessageContaining("did you mean 'projector.consumer.max.poll.interval.ms'?");
    assertThatThrownBy(() -> ConfigLoader.load(file("streams.streams.producer.lingr.ms=1"), Map.of()))
        .hasMessageContaining("'streams.streams.producer.lingr.ms'");
    assertThatThrownBy(() -> ConfigLoader.load(file("ssl.trustore.location=/x"), Map.of()))
        .hasMessageContaining("did you mean 'ssl.truststore.location'?");
  }

  @Test
  void apicurioSettingsForASecuredRegistryPassAsApicurioNamesThem() throws Exception {
    Map<String, String> ok = ConfigLoader.load(file("schema.registry.url=https://registry:8443/apis/registry/v3",
        "apicurio.registry.auth.username=invoice-sync", "apicurio.registry.auth.password=secret",
        "apicurio.registry.tls.truststore.location=/etc/registry/ts.p12", "apicurio.registry.auto-register=false"), Map.of());
    assertThat(ok).containsEntry("apicurio.registry.auth.username", "invoice-sync");
    assertThatThrownBy(() -> ConfigLoader.load(file("apicurio.registry.auth.usrname=x"), Map.of()))
        .hasMessageContaining("did you mean 'apicurio.registry.auth.username'?");
    assertThatThrownBy(() -> ConfigLoader.load(file("apicurio.registry.url=http://r"), Map.of()))
        .hasMessageContaining("set 'schema.registry.url' instead");
  }

  @Test
  void kafkasConfigProvidersResolveSecretsFromFilesAndDirectories() throws Exception {
    Path secrets = Files.writeString(dir.resolve("db.properties"), "password=s3cret\n");
    Path secretDir = Files.createDirectories(dir.resolve("run-secrets"));
    Files.writeString(secretDir.resolve("sasl-password"), "kafka-pass");
    Map<String, String> v = ConfigLoader.load(file(
        "config.providers=file,dir",
        "config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider",
        "config.providers.dir.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider",
        "projector.jdbc.password=${file:" + secrets + ":password}",
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"${dir:" + secretDir
            + ":sasl-password}\";"), Map.of());
    assertThat(v.get("projector.jdbc.password")).isEqualTo("s3cret");
    assertThat(v.get("sasl.jaas.config")).contains("password=\"kafka-pass\"");
  }

  @Test
  void theComposeFilesConfigurationAndTheTemplateAreValid() throws Exception {
    Path compose = Path.of(System.getProperty("user.dir")).resolveSibling("docker").resolve("invoice-sync.properties");
    assertThat(ConfigLoader.load(compose, Map.of())).containsKey("bootstrap.servers");

    String template = io.invoicesync.cli.ConfigTemplateAccess.render(Map.of("bootstrap.servers", "k:9092", "projector.consumer.fetch.min.bytes", "1"));
    for (String key : ConfigCatalog.knownKeys()) {
      if (ConfigCatalog.SHARED.containsKey(key.substring(key.indexOf('.') + 1))) {
        continue; // ingest.bootstrap.servers and the like: the shared key is listed once
      }
      assertThat(template).as(key).contains(key + "=");
    }
    assertThat(template).contains("projector.consumer.*", "ingest.debezium.*", "INVOICESYNC_PROJECTOR_JDBC_PASSWORD");
    Path t = Files.writeString(dir.resolve("template.properties"), template);
    assertThat(ConfigLoader.load(t, Map.of())).containsEntry("projector.consumer.fetch.min.bytes", "1");
  }

  @Test
  void aMissingFileIsNamed() {
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.properties"), Map.of()))
        .hasMessageContaining("nope.properties does not exist");
  }
}
