package io.invoicesync.cli;

import io.invoicesync.cli.config.ConfigCatalog;
import io.invoicesync.cli.config.ConfigLoader;
import io.invoicesync.streams.SyncStreamsConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.types.Password;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code invoice-sync config-template}: a properties file with every key of every component, documented, from their ConfigDefs. */
@Command(name = "config-template", mixinStandardHelpOptions = true,
    description = "Print a configuration file for 'run' with every key, its documentation and default (commented keys use the default).",
    footer = {"", "Examples:", "  invoice-sync config-template > invoice-sync.properties",
        "  invoice-sync config-template --set bootstrap.servers=kafka:9092 --set projector.jdbc.url=jdbc:postgresql://db/querystore"})
final class ConfigTemplateCommand implements Callable<Integer> {

  @Option(names = "--set", description = "KEY=VALUE to write uncommented (repeatable).")
  Map<String, String> values = new LinkedHashMap<>();

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().print(render(values));
    spec.commandLine().getOut().flush();
    return 0;
  }

  static String render(Map<String, String> values) {
    StringBuilder out = new StringBuilder();
    out.append("# invoice-sync configuration for `invoice-sync run --config FILE`, written by `invoice-sync config-template`.\n");
    out.append("# Shared keys: bootstrap.servers, schema.registry.url, the Kafka security settings. Component keys: ingest.*, streams.*, projector.*, api.*, reconcile.*, management.*\n");
    out.append("# Every key with its documentation and default; a commented key uses its default. A misspelt key fails start-up.\n");
    out.append("# Any key can come from the environment instead: ").append(ConfigLoader.ENV_PREFIX)
        .append("<KEY> upper-cased, '.' and '-' as '_' (INVOICESYNC_PROJECTOR_JDBC_PASSWORD sets projector.jdbc.password).\n");
    out.append("#\n# Pass-through prefixes (keys handed to a library, checked against what it knows):\n");
    for (ConfigCatalog.PassThrough p : ConfigCatalog.PASS_THROUGH) {
      out.append("#   ").append(p.prefix()).append(p.prefix().endsWith(".") ? "*" : "").append(": ").append(p.target()).append("\n");
    }
    out.append("\n");
    ConfigCatalog.SHARED.forEach((key, doc) -> entry(out, values, key, doc, key.equals("topics.replication.factor") ? "-1"
        : key.equals("log.format") ? "text" : key.equals("bootstrap.servers") ? null : ""));
    ConfigCatalog.components().forEach((prefix, def) -> {
      out.append("\n# ---- ").append(prefix).append(" ----\n");
      for (ConfigDef.ConfigKey k : def.configKeys().values()) {
        if (ConfigCatalog.SHARED.containsKey(k.name)) {
          continue;
        }
        String dflt = !k.hasDefault() ? null : k.defaultValue == null || k.defaultValue instanceof Password ? "" : k.defaultValue instanceof java.util.List<?> list ? String.join(",", list.stream().map(String::valueOf).toList()) : String.valueOf(k.defaultValue);
        if (prefix.equals("streams") && k.name.equals(SyncStreamsConfig.STATE_DIR)) {
          dflt = "<java.io.tmpdir>/invoice-sync-streams";
        }
        entry(out, values, prefix + "." + k.name, k.documentation, dflt);
      }
    });
    // values for pass-through keys (no definition of ours): written as given
    values.forEach((k, v) -> {
      if (!ConfigCatalog.knownKeys().contains(k)) {
        out.append(k).append('=').append(v).append('\n');
      }
    });
    return out.toString();
  }

  private static void entry(StringBuilder out, Map<String, String> values, String key, String doc, String dflt) {
    out.append("# ").append(doc.replace("\n", " ")).append("\n");
    out.append("# default: ").append(dflt == null ? "(required)" : dflt.isEmpty() ? "(empty)" : dflt).append("\n");
    if (values.containsKey(key)) {
      out.append(key).append('=').append(values.get(key)).append('\n');
    } else {
      out.append('#').append(key).append('=').append(dflt == null ? "" : dflt).append('\n');
    }
  }
}
