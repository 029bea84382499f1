package io.invoicesync.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The pipeline a user would otherwise assemble (issue 6's peer): Kafka Connect standalone, in its
 * own JVM, running Debezium's PostgreSQL source connector and Debezium's JDBC sink connector,
 * configured as their docs recommend without a schema registry (JsonConverter with schemas), a
 * plain table replication of {@code issuing.invoice} and {@code issuing.invoice_line} into another
 * database: no dedup, no validation, no red-letter checks.
 *
 * <p>The classpath comes from the {@code bench-peer} module ({@code bench-peer/target/lib}): Connect
 * runs in its own JVM, on the same Kafka and Debezium versions as invoice-sync.
 */
final class PeerPipeline implements AutoCloseable {

  /** The three configurations, as written for Connect standalone; also recorded in the results. */
  final Map<String, Map<String, String>> configs = new LinkedHashMap<>();
  private final Process process;
  final Path log;

  private PeerPipeline(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code ConnectStandalone} with the source reading slot {@code slot} / publication
   * {@code publication} of database {@code issuing}, and the sink writing to database
   * {@code targetDb} (tables created by the sink's schema evolution).
   */
  static PeerPipeline start(Path lib, Path work, String bootstrap, int pgPort, String slot, String publication, String targetDb)
      throws IOException {
    return start(lib, work, bootstrap, pgPort, slot, publication, targetDb, "no_data");
  }

  /** As above, with the source's {@code snapshot.mode}: {@code initial} reads the tables' existing rows first (step history). */
  static PeerPipeline start(Path lib, Path work, String bootstrap, int pgPort, String slot, String publication, String targetDb,
                            String snapshotMode) throws IOException {
    if (!Files.isDirectory(lib)) {
      throw new IllegalStateException("the peer's classpath " + lib + " is missing: run 'mvn -B package -DskipTests' first (module bench-peer)");
    }
    Files.createDirectories(work);
    Map<String, String> worker = new LinkedHashMap<>();
    worker.put("bootstrap.servers", bootstrap);
    worker.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
    worker.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
    worker.put("key.converter.schemas.enable", "true");
    worker.put("value.converter.schemas.enable", "true");
    // JSON with its schema in every record is ~5 KB a row uncompressed: a million invoices (4 million rows) filled 20 GB of
    // this machine's disk. lz4, as our side's producers use, is what an operator of this peer would set too
    worker.put("producer.compression.type", "lz4");
    worker.put("offset.storage.file.filename", work.resolve("connect.offsets").toString());
    worker.put("offset.flush.interval.ms", "10000");
    worker.put("listeners", "http://127.0.0.1:0");
    worker.put("plugin.discovery", "only_scan");

    Map<String, String> source = new LinkedHashMap<>();
    source.put("name", "peer-source");
    source.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    source.put("tasks.max", "1");
    source.put("plugin.name", "pgoutput");
    source.put("database.hostname", "localhost");
    source.put("database.port", Integer.toString(pgPort));
    source.put("database.user", "postgres");
    source.put("database.password", "postgres");
    source.put("database.dbname", "issuing");
    source.put("topic.prefix", "peer");
    source.put("table.include.list", "issuing.invoice,issuing.invoice_line");
    source.put("slot.name", slot);
    source.put("publication.name", publication);
    source.put("publication.autocreate.mode", "disabled");
    source.put("snapshot.mode", snapshotMode);
    // the broker does not auto-create topics (nor would a production one); Connect creates them
    source.put("topic.creation.default.replication.factor", "1");
    source.put("topic.creation.default.partitions", "1");

    Map<String, String> sink = new LinkedHashMap<>();
    sink.put("name", "peer-sink");
    sink.put("connector.class", "io.debezium.connector.jdbc.JdbcSinkConnector");
    sink.put("tasks.max", "1");
    sink.put("topics.regex", "peer\\.issuing\\.(invoice|invoice_line)");
    sink.put("connection.url", "jdbc:postgresql://localhost:" + pgPort + "/" + targetDb);
    sink.put("connection.username", "postgres");
    sink.put("connection.password", "postgres");
    sink.put("insert.mode", "upsert");
    sink.put("primary.key.mode", "record_key");
    sink.put("delete.enabled", "true");
    sink.put("schema.evolution", "basic");
    sink.put("collection.name.format", "${source.table}");

    List<String> files = new ArrayList<>();
    Map<String, Map<String, String>> ordered = new LinkedHashMap<>();
    ordered.put("connect-standalone.properties", worker);
    ordered.put("peer-source.properties", source);
    ordered.put("peer-sink.properties", sink);
    for (var e : ordered.entrySet()) {
      Path f = work.resolve(e.getKey());
      Files.writeString(f, e.getValue().entrySet().stream().map(kv -> kv.getKey() + "=" + kv.getValue().replace("\\", "\\\\"))
          .collect(Collectors.joining("\n", "", "\n")));
      files.add(f.toString());
    }
    Path log = work.resolve("connect.log");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xms256m", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-cp", lib.toAbsolutePath() + File.separator + "*", "org.apache.kafka.connect.cli.ConnectStandalone"));
    cmd.addAll(files);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    PeerPipeline peer = new PeerPipeline(p, log);
    peer.configs.putAll(ordered);
    return peer;
  }

  boolean alive() {
    return process.isAlive();
  }

  /** CPU seconds the Connect JVM used so far (from the OS, as for the pipeline's own process). */
  double cpuSeconds() {
    return process.toHandle().info().totalCpuDuration().map(d -> d.toMillis() / 1000.0).orElse(-1.0);
  }

  /** Peak resident set of the Connect JVM, from /proc. */
  long peakRssMb() {
    return CpuBreakdown.peakRssMb(Long.toString(process.pid()));
  }

  /** The last lines of the worker's log, for an error message. */
  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
