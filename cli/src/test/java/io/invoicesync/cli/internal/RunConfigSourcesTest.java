package io.invoicesync.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.invoicesync.cli.config.ConfigCatalog;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Several issuing sources in one configuration: each source's view, and what the catalog accepts. */
class RunConfigSourcesTest {

  static final Map<String, String> TWO = Map.of("sources", "legacy, new-platform", "ingest.database.hostname", "db1",
      "ingest.slot.name", "sync", "sources.new-platform.database.hostname", "db2", "sources.new-platform.mapping.file", "/etc/fp.yaml",
      "sources.legacy.publication.name", "legacy_pub", "api.source.jdbc.url", "jdbc:postgresql://db1/issuing");

  @Test
  void eachSourceSeesItsBlockOverIngestAndNamesThatMustDifferGetItsName() {
    RunConfig all = RunConfig.of(TWO);
    assertThat(all.sources()).containsExactly("legacy", "new-platform");

    RunConfig platform = all.forSource("new-platform");
    assertThat(platform.get("ingest.database.hostname")).isEqualTo("db2");
    assertThat(platform.get("ingest.mapping.file")).isEqualTo("/etc/fp.yaml");
    assertThat(platform.get("ingest.source.name")).isEqualTo("new-platform");
    assertThat(platform.sourceName()).isEqualTo("new-platform");
    assertThat(platform.get("ingest.slot.name")).as("an SQL identifier").isEqualTo("sync_new_platform");
    assertThat(platform.get("ingest.publication.name")).isEqualTo("invoice_sync_new_platform");
    assertThat(platform.get("ingest.engine.name")).isEqualTo("invoice-sync-ingest-new-platform");
    assertThat(platform.get("ingest.topic.prefix")).isEqualTo("issuing-new-platform");
    assertThat(platform.get("api.source.jdbc.url")).as("the source's own database, not the single source's probe").isNull();

    RunConfig legacy = all.forSource("legacy");
    assertThat(legacy.get("ingest.database.hostname")).isEqualTo("db1");
    assertThat(legacy.get("ingest.publication.name")).as("its block sets it").isEqualTo("legacy_pub");
    assertThat(legacy.mapsOtherTables()).isFalse();
  }

  @Test
  void commandsAboutOneSourceAskWhichAndNamesAreChecked() {
    RunConfig all = RunConfig.of(TWO);
    assertThatThrownBy(() -> all.selectSource(null, "--source")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("several issuing sources [legacy, new-platform]").hasMessageContaining("--source NAME");
    assertThatThrownBy(() -> all.forSource("other")).hasMessageContaining("there is no source 'other'");
    assertThat(RunConfig.of(Map.of()).selectSource(null, "--source").sourceName()).isNull();
    assertThatThrownBy(() -> RunConfig.of(Map.of("sources", "a,A b")).sources()).isInstanceOf(ConfigException.class)
        .hasMessageContaining("'A b' is not a source name");
    assertThatThrownBy(() -> RunConfig.of(Map.of("sources", "a,a")).sources()).hasMessageContaining("named twice");
  }

  @Test
  void theCatalogAcceptsAnIngestKeyInASourcesBlockAndNothingElse() {
    assertThat(ConfigCatalog.accepts("sources")).isTrue();
    assertThat(ConfigCatalog.accepts("sources.py.mapping.file")).isTrue();
    assertThat(ConfigCatalog.accepts("sources.py.database.hostname")).isTrue();
    assertThat(ConfigCatalog.accepts("sources.py.debezium.database.sslmode")).isTrue();
    assertThat(ConfigCatalog.accepts("sources.py.mapping.fiel")).isFalse();
    assertThat(ConfigCatalog.accepts("sources.py.source.name")).as("the block's name is the source's name").isFalse();
    assertThat(ConfigCatalog.accepts("sources.Py.mapping.file")).isFalse();
  }
}
