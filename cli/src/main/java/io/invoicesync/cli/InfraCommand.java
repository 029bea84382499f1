package io.invoicesync.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.cli.internal.OutputOption;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.projector.QueryStoreSchema;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code invoice-sync infra}: the embedded PostgreSQL (issuing database and query store) and Kafka
 * broker alone, with a ready {@code run} configuration for them, so that the components can be run
 * as separate processes, and scaled, on one machine exactly as on a real cluster.
 */
@Command(name = "infra", mixinStandardHelpOptions = true,
    description = {"Start the embedded PostgreSQL and Kafka broker only, print their URLs and write a 'run' configuration for them;",
        "then run the components as separate processes against it. Ctrl-C stops both."},
    footer = {"", "Example: two streams+projector instances sharing the partitions",
        "  invoice-sync infra --rate 100                       # terminal 1: infrastructure and a load",
        "  invoice-sync infra -o json                          # the URLs as one JSON object, for scripts",
        "  invoice-sync run --config infra-data/run.properties --components ingest,api",
        "  INVOICESYNC_STREAMS_STATE_DIR=/tmp/s1 invoice-sync run --config infra-data/run.properties --components streams,projector",
        "  INVOICESYNC_STREAMS_STATE_DIR=/tmp/s2 invoice-sync run --config infra-data/run.properties --components streams,projector"})
final class InfraCommand implements Callable<Integer> {

  @Option(names = "--data-dir", defaultValue = "infra-data", description = "Where PostgreSQL and Kafka keep their data (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--pg-port", defaultValue = "0", description = "PostgreSQL port; 0 = any free port (default: ${DEFAULT-VALUE}).")
  int pgPort;

  @Option(names = "--kafka-port", defaultValue = "0", description = "Kafka broker port; 0 = any free port (default: ${DEFAULT-VALUE}).")
  int kafkaPort;

  @Option(names = "--rate", defaultValue = "0", description = "Issue this many invoice events per second into the issuing database "
      + "(the demo's generator); 0 = none (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--count", defaultValue = "0", description = "Stop issuing after this many invoices (a backlog to drain); "
      + "0 = no limit (default: ${DEFAULT-VALUE}).")
  long count;

  @Option(names = "--duration", defaultValue = "0", description = "Seconds to run; 0 = until Ctrl-C (default: ${DEFAULT-VALUE}).")
  int duration;

  @picocli.CommandLine.Mixin
  OutputOption output;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Path data = dataDir.toAbsolutePath();
    System.setProperty("invoicesync.log.file", data.resolve("infra.log").toString());
    EmbeddedPostgresServer pg = EmbeddedPostgresServer.startOwnedByCaller(data.resolve("postgres"), List.of("issuing", "querystore"), pgPort);
    EmbeddedKafkaBroker kafka;
    try {
      kafka = EmbeddedKafkaBroker.start(data.resolve("kafka"), kafkaPort);
    } catch (RuntimeException e) {
      pg.close(); // it is ours to stop (no shutdown hook of its own)
      throw e;
    }
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      try {
        stopped.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    try {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), EmbeddedPostgresServer.USER, "");
      QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), EmbeddedPostgresServer.USER, "");
      Map<String, String> cfg = new TreeMap<>(Pipeline.embeddedConfig(pg, kafka, data.resolve("streams")));
      Path config = data.resolve("run.properties");
      StringBuilder props = new StringBuilder("# written by 'invoice-sync infra' for its embedded PostgreSQL and Kafka\n");
      cfg.forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
      Files.writeString(config, props.toString());
      String psql = "psql \"postgresql://" + EmbeddedPostgresServer.USER + "@localhost:" + pg.port() + "/issuing\"";
      if (output.json()) {
        Map<String, String> urls = new LinkedHashMap<>();
        urls.put("issuingDb", pg.jdbcUrl("issuing"));
        urls.put("queryStore", pg.jdbcUrl("querystore"));
        urls.put("psql", psql);
        urls.put("kafka", kafka.bootstrapServers());
        urls.put("config", config.toString());
        out.println(new ObjectMapper().writeValueAsString(urls));
      } else {
        out.println("issuing-db:  " + pg.jdbcUrl("issuing"));
        out.println("query-store: " + pg.jdbcUrl("querystore"));
        out.println("psql:        " + psql);
        out.println("kafka:       " + kafka.bootstrapServers());
        out.println("config:      " + config + "   # invoice-sync run --config " + config + " --components ...");
        out.println("Ctrl-C stops PostgreSQL and Kafka.");
      }
      out.flush();
      if (rate > 0) {
        InvoiceGenerator g = new InvoiceGenerator(pg.jdbcUrl("issuing"), "infra-" + Long.toString(System.currentTimeMillis(), 36) + "-", 42, false);
        List<Thread> workers = g.startAtRate(rate, rate > 200 ? 2 : 1, () -> stop.getCount() == 0 || (count > 0 && g.issuedCount() >= count));
        if (count > 0) {
          Thread announce = new Thread(() -> {
            for (Thread w : workers) {
              try {
                w.join();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
              }
            }
            out.println("issued " + g.issuedCount() + " invoices");
            out.flush();
          }, "infra-count");
          announce.setDaemon(true);
          announce.start();
        }
      }
      if (duration > 0) {
        stop.await(duration, TimeUnit.SECONDS); // Ctrl-C, or the end of --duration
      } else {
        stop.await();
      }
      stop.countDown(); // the generator stops too
    } finally {
      kafka.close();
      pg.close();
      stopped.countDown();
    }
    return 0;
  }
}
