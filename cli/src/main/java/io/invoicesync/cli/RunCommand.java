package io.invoicesync.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code invoice-sync run}: the components against an external PostgreSQL, Kafka and (optionally) registry. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run components against external infrastructure, configured by a properties file.",
    footer = {"", "Config keys: bootstrap.servers and schema.registry.url are shared; ingest.*, streams.*, projector.* and api.* go to one",
        "component (see docker/invoice-sync.properties for every key with its default).", "",
        "Examples:", "  invoice-sync run --config docker/invoice-sync.properties",
        "  invoice-sync run --config prod.properties --components streams,projector"})
final class RunCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, description = "Properties file.")
  Path config;

  @Option(names = "--components", split = ",", description = "Which components to run: ${COMPLETION-CANDIDATES} (default: all).")
  List<Pipeline.Component> components = List.of(Pipeline.Component.values());

  @Override
  public Integer call() throws IOException, InterruptedException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(config, StandardCharsets.UTF_8)) {
      p.load(r);
    }
    Map<String, String> map = new HashMap<>();
    p.stringPropertyNames().forEach(k -> map.put(k, p.getProperty(k).trim()));
    CountDownLatch stop = new CountDownLatch(1);
    try (Pipeline pipeline = new Pipeline(map, EnumSet.copyOf(components)).start()) {
      Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
      System.out.println("invoice-sync running " + components + (pipeline.api() != null ? ", api: http://localhost:" + pipeline.api().port() : "")
          + " - Ctrl-C to stop");
      stop.await();
    }
    return 0;
  }
}
