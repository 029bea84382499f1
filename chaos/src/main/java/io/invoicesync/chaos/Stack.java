package io.invoicesync.chaos;

import io.invoicesync.cli.internal.RunConfig;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedKafkaCluster;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.generator.IssuingSchema;
import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.ingest.mapping.PinyinExample;
import io.invoicesync.projector.QueryStoreSchema;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The infrastructure a chaos run breaks, in the chaos JVM on fixed ports so that each part can be
 * stopped and started again at the same address with its data: the issuing PostgreSQL, the query
 * store's PostgreSQL (separate servers, so that each can go away alone) and the Kafka broker.
 */
final class Stack implements AutoCloseable {

  final Path dir;
  final int issuingPort;
  final int storePort;
  final int kafkaPort;
  private EmbeddedPostgresServer issuing;
  private EmbeddedPostgresServer store;
  private EmbeddedKafkaBroker kafka;

  /** Two issuing sources (our reference tables as 'ref', a tax-control system's pinyin tables as 'py'), or one. */
  final boolean twoSources;
  private Path pinyinMapping;

  private Stack(Path dir, boolean twoSources) {
    this.dir = dir;
    this.twoSources = twoSources;
    this.issuingPort = freePort();
    this.storePort = freePort();
    this.kafkaPort = freePort();
  }

  static Stack start(Path dir) {
    return start(dir, false);
  }

  /** With {@code twoSources}: the pinyin tables beside the reference ones, each captured as a source of its own. */
  static Stack start(Path dir, boolean twoSources) {
    Stack s = new Stack(dir, twoSources);
    s.startIssuing();
    s.startStore();
    s.startKafka();
    IssuingPlatformSchema.migrate(s.issuingUrl(), EmbeddedPostgresServer.USER, "");
    QueryStoreSchema.migrate(s.storeUrl(), EmbeddedPostgresServer.USER, "");
    if (twoSources) {
      try (Connection c = s.issuingDataSource().getConnection()) {
        s.pinyinMapping = PinyinExample.install(c, dir);
      } catch (SQLException | IOException e) {
        throw new IllegalStateException("cannot set up the pinyin source: " + e.getMessage(), e);
      }
    }
    return s;
  }

  /** Where the generators issue: the reference tables, and the pinyin ones with two sources. */
  List<IssuingSchema> schemas() {
    return twoSources ? List.of(IssuingSchema.REFERENCE, IssuingSchema.PINYIN) : List.of(IssuingSchema.REFERENCE);
  }

  /**
   * Each issuing source as the pipeline runs it ('sources' and its blocks, as 'invoice-sync run' reads them): source name
   * (null: the single one) to its configuration.
   */
  Map<String, RunConfig> sources() {
    RunConfig all = RunConfig.of(runConfig());
    Map<String, RunConfig> out = new LinkedHashMap<>();
    if (all.sources().isEmpty()) {
      out.put(null, all);
    }
    all.sources().forEach(name -> out.put(name, all.forSource(name)));
    return out;
  }

  /** The replication slots ingest uses: one, or one per source. */
  List<String> slots() {
    return sources().values().stream().map(rc -> rc.ingest(IngestConfig.SLOT_NAME)).toList();
  }

  /** Which cluster the issuing database is on: 0 the first, then one more per {@link #moveIssuing}. */
  private int issuingCluster;

  void startIssuing() {
    issuing = EmbeddedPostgresServer.startOwnedByCaller(dir.resolve(issuingCluster == 0 ? "issuing-pg" : "issuing-pg-" + issuingCluster),
        List.of("issuing"), issuingPort);
  }

  /** The issuing cluster's WAL 160 MB further on, as after a long life (in production: years); what is issued next has high positions. */
  void ageIssuing() throws SQLException {
    try (Connection c = issuingDataSource().getConnection(); Statement st = c.createStatement()) {
      for (int i = 0; i < 10; i++) {
        st.execute("INSERT INTO issuing.invoice_sync_heartbeat (id, ts) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts");
        st.execute("SELECT pg_switch_wal()");
      }
    }
  }

  /**
   * The issuing database moved to a new cluster, as a dump restored into a fresh initdb would be:
   * the same rows at the same address, on a cluster whose WAL positions start again from the
   * beginning, below every position the pipeline has seen. Whoever writes to it must be stopped.
   */
  void moveIssuing() throws SQLException, IOException {
    Map<String, byte[]> tables = new LinkedHashMap<>();
    List<String> nullable = new ArrayList<>(); // NOT NULLs an earlier scenario dropped (poison-null): the copy keeps them dropped
    try (Connection c = issuingDataSource().getConnection(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT format('ALTER TABLE %I.%I ALTER COLUMN %I DROP NOT NULL', table_schema, table_name, "
             + "column_name) FROM information_schema.columns WHERE table_schema = 'issuing' AND table_name IN ('invoice', 'invoice_line') "
             + "AND is_nullable = 'YES'")) {
      while (rs.next()) {
        nullable.add(rs.getString(1));
      }
    }
    try (Connection c = issuingDataSource().getConnection()) {
      CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
      for (String t : List.of("issuing.invoice", "issuing.invoice_line")) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        copy.copyOut("COPY " + t + " TO STDOUT (FORMAT binary)", out);
        tables.put(t, out.toByteArray());
      }
    }
    stopIssuing();
    issuingCluster++;
    startIssuing();
    IssuingPlatformSchema.migrate(issuingUrl(), EmbeddedPostgresServer.USER, "");
    try (Connection c = issuingDataSource().getConnection(); Statement st = c.createStatement()) {
      for (String alter : nullable) {
        st.execute(alter);
      }
    }
    try (Connection c = issuingDataSource().getConnection()) {
      CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
      for (Map.Entry<String, byte[]> t : tables.entrySet()) {
        copy.copyIn("COPY " + t.getKey() + " FROM STDIN (FORMAT binary)", new ByteArrayInputStream(t.getValue()));
      }
    }
  }

  void stopIssuing() {
    issuing.close();
    issuing = null;
    awaitClosed(issuingPort);
  }

  void startStore() {
    store = EmbeddedPostgresServer.startOwnedByCaller(dir.resolve("store-pg"), List.of("querystore"), storePort);
  }

  void stopStore() {
    store.close();
    store = null;
    awaitClosed(storePort);
  }

  /**
   * Until nothing listens on {@code port}: embedded PostgreSQL's stop gives up waiting after 5 s
   * (logging an error) while a fast shutdown with busy replication connections may take longer; the
   * outage starts when the server is gone, not before.
   */
  private static void awaitClosed(int port) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket("localhost", port)) {
        Thread.sleep(200); // still accepting: the shutdown is under way
      } catch (IOException e) {
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    throw new IllegalStateException("PostgreSQL on port " + port + " still accepts connections 60 s after it was told to stop");
  }

  void startKafka() {
    kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"), kafkaPort);
  }

  void stopKafka() {
    kafka.close();
    kafka = null;
  }

  String issuingUrl() {
    return "jdbc:postgresql://localhost:" + issuingPort + "/issuing?user=" + EmbeddedPostgresServer.USER;
  }

  String storeUrl() {
    return "jdbc:postgresql://localhost:" + storePort + "/querystore?user=" + EmbeddedPostgresServer.USER;
  }

  String bootstrap() {
    return cluster != null ? cluster.bootstrapServers() : "localhost:" + kafkaPort;
  }

  private EmbeddedKafkaCluster cluster;

  /** The single broker stopped and a 3-node cluster (RF=3, min.insync.replicas=2) in its place, until {@link #useSingleBroker}. */
  void useCluster() {
    stopKafka();
    cluster = EmbeddedKafkaCluster.start(dir.resolve("kafka-rf3"), 3);
  }

  void useSingleBroker() {
    if (cluster != null) {
      cluster.close();
      cluster = null;
      startKafka();
    }
  }

  EmbeddedKafkaCluster cluster() {
    return cluster;
  }

  DataSource issuingDataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(issuingUrl());
    ds.setConnectTimeout(5);
    return ds;
  }

  DataSource storeDataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(storeUrl());
    ds.setConnectTimeout(5);
    return ds;
  }

  /**
   * The pipeline's 'run' configuration on this stack. Static membership (instance ids): a process
   * restarted after a SIGKILL takes its partitions back at once, as an orchestrator's would.
   */
  Map<String, String> runConfig() {
    Map<String, String> cfg = new LinkedHashMap<>();
    cfg.put("bootstrap.servers", bootstrap());
    cfg.put("topics.replication.factor", "1");
    cfg.put("ingest.database.port", Integer.toString(issuingPort));
    cfg.put("ingest.database.dbname", "issuing");
    cfg.put("streams.state.dir", dir.resolve("streams-state").toString());
    cfg.put("streams.instance.id", "chaos");
    cfg.put("projector.jdbc.url", storeUrl());
    cfg.put("projector.migrate", "false");
    cfg.put("projector.instance.id", "chaos");
    cfg.put("api.jdbc.url", storeUrl());
    cfg.put("api.auth.mode", "none");
    cfg.put("api.bind.address", "127.0.0.1");
    cfg.put("api.port", "0");
    cfg.put("management.port", "0");
    // the webhook scenarios' process: the ERP's endpoint is on this machine; retries in seconds, so a minute's outage is ridden out
    cfg.put("webhooks.jdbc.url", storeUrl());
    cfg.put("webhooks.allow.http", "true");
    cfg.put("webhooks.allow.private.addresses", "true");
    cfg.put("webhooks.retry.schedule", "0s,1s,2s,4s,8s,15s,30s,30s,30s,30s,30s,30s");
    cfg.put("webhooks.attempt.timeout.ms", "5000");
    cfg.put("webhooks.instance.id", "chaos");
    if (twoSources) {
      cfg.put("sources", "ref,py");
      cfg.put("sources.py.mapping.file", pinyinMapping.toString());
    }
    return cfg;
  }

  /**
   * The configuration on the 3-node cluster: replicated topics, and ingest on a slot of its own that
   * captures only what is issued from now on (the invoices before are in the store already), Streams
   * on state of its own.
   */
  Map<String, String> clusterRunConfig() {
    Map<String, String> cfg = runConfig();
    cfg.put("topics.replication.factor", "3");
    cfg.put("ingest.slot.name", CLUSTER_SLOT);
    cfg.put("ingest.snapshot.mode", "no_data");
    cfg.put("streams.state.dir", dir.resolve("streams-state-rf3").toString());
    return cfg;
  }

  static final String CLUSTER_SLOT = "invoice_sync_rf3";

  @Override
  public void close() {
    if (cluster != null) {
      cluster.close();
    }
    if (kafka != null) {
      kafka.close();
    }
    if (store != null) {
      store.close();
    }
    if (issuing != null) {
      issuing.close();
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
