package io.invoicesync.cli.internal;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * How an operator command reaches Kafka, as Kafka's own tools do: {@code --bootstrap}, and the
 * client settings of a secured cluster either from the deployment's configuration
 * ({@code --config}: its bootstrap.servers and shared security settings, environment overrides and
 * config providers included) or from a Kafka client properties file ({@code --command-config}).
 * Later sources win: --config, then --command-config, then --bootstrap.
 */
public final class KafkaConnection {

  @Option(names = "--bootstrap", description = "Kafka bootstrap servers (default: bootstrap.servers of --config or --command-config).")
  String bootstrap;

  @Option(names = "--config", paramLabel = "FILE",
      description = "The run configuration: Kafka's address and security settings (and the registry) are read from it.")
  Path config;

  @Option(names = "--command-config", paramLabel = "FILE",
      description = "Kafka client properties (security.protocol, sasl.*, ssl.*, ...), as for Kafka's own command-line tools.")
  Path commandConfig;

  private RunConfig loaded;

  /** The run configuration named by --config (read once), or null. */
  public RunConfig runConfig() throws IOException {
    if (config != null && loaded == null) {
      loaded = RunConfig.load(config);
    }
    return loaded;
  }

  /** The client settings, bootstrap.servers included. */
  public Map<String, Object> clientConfig() throws IOException {
    Map<String, Object> c = new HashMap<>();
    if (config != null) {
      RunConfig rc = runConfig();
      if (rc.get("bootstrap.servers") != null) {
        c.putAll(rc.kafkaClientConfig());
      }
    }
    if (commandConfig != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(commandConfig, StandardCharsets.UTF_8)) {
        p.load(r);
      }
      p.stringPropertyNames().forEach(k -> c.put(k, p.getProperty(k).trim()));
    }
    if (bootstrap != null) {
      c.put("bootstrap.servers", bootstrap);
    }
    if (c.get("bootstrap.servers") == null) {
      throw new IllegalArgumentException("no Kafka to read from: give --bootstrap, or --config/--command-config with bootstrap.servers");
    }
    return c;
  }


}
