package io.invoicesync.cli.internal;

import io.invoicesync.cli.config.ConfigLoader;
import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.ingest.mapping.Mapping;
import io.invoicesync.ingest.mapping.MappingSql;
import io.invoicesync.outcomes.IssuingTables;
import io.invoicesync.outcomes.reconcile.ReconcileConfig;
import io.invoicesync.outcomes.reconcile.ReconcileScheduler;
import io.invoicesync.outcomes.reconcile.Reconciler;
import io.invoicesync.outcomes.reconcile.Resyncer;
import io.invoicesync.schemas.KafkaClients;
import io.invoicesync.streams.SyncStreamsConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.common.config.ConfigException;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A {@code run} configuration file, read the way {@code run} reads it, for the operator commands
 * that reuse it ({@code trace}, {@code audit}): where the query store, the issuing database and
 * Kafka are; and the answer pillar's parts (reconciler, resyncer, scheduler) built from it. Where a
 * key is not set, its default is the one its component defines ({@link IngestConfig}), never a copy.
 */
public final class RunConfig {

  private static final Map<String, Object> INGEST_DEFAULTS = IngestConfig.configDef().defaultValues();
  /** The top-level key naming several issuing sources, each configured by its {@code sources.<name>.*} block. */
  public static final String SOURCES = "sources";
  private static final java.util.regex.Pattern SOURCE_NAME = java.util.regex.Pattern.compile("[a-z][a-z0-9_-]{0,31}");

  private final Map<String, String> values;

  private RunConfig(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /** The file as {@code run} reads it: environment overrides ({@code INVOICESYNC_*}), config providers, every key checked. */
  public static RunConfig load(Path file) throws IOException {
    return new RunConfig(ConfigLoader.load(file, System.getenv()));
  }

  public static RunConfig of(Map<String, String> values) {
    return new RunConfig(values);
  }

  /** The keys under {@code prefix} (e.g. {@code "reconcile."}), prefix removed, for a component's typed configuration. */
  public Map<String, Object> component(String prefix) {
    Map<String, Object> out = new HashMap<>();
    values.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        out.put(k.substring(prefix.length()), v);
      }
    });
    return out;
  }

  public Map<String, String> values() {
    return values;
  }

  public String get(String key) {
    String v = values.get(key);
    return v == null || v.isBlank() ? null : v;
  }

  private String first(String... keys) {
    for (String k : keys) {
      if (get(k) != null) {
        return get(k);
      }
    }
    return null;
  }

  /** The query store: {@code api.jdbc.*}, else {@code projector.jdbc.*}. */
  public DataSource store() {
    String url = first("api.jdbc.url", "projector.jdbc.url");
    if (url == null) {
      throw new IllegalArgumentException("the configuration names no query store: set api.jdbc.url or projector.jdbc.url");
    }
    String prefix = get("api.jdbc.url") != null ? "api.jdbc." : "projector.jdbc.";
    return dataSource(url, values.getOrDefault(prefix + "user", "postgres"), values.getOrDefault(prefix + "password", ""));
  }

  /** The query store as the projector writes it: {@code projector.jdbc.*}, else {@code api.jdbc.*}. */
  public DataSource storeForWriter() {
    String url = first("projector.jdbc.url", "api.jdbc.url");
    if (url == null) {
      throw new IllegalArgumentException("the configuration names no query store: set projector.jdbc.url or api.jdbc.url");
    }
    String prefix = get("projector.jdbc.url") != null ? "projector.jdbc." : "api.jdbc.";
    return dataSource(url, values.getOrDefault(prefix + "user", "postgres"), values.getOrDefault(prefix + "password", ""));
  }

  /** The webhook tables of the query store, writable: {@code webhooks.jdbc.*}, else {@code projector.jdbc.*}, else {@code api.jdbc.*}. */
  public DataSource webhookStore() {
    String url = first("webhooks.jdbc.url", "projector.jdbc.url", "api.jdbc.url");
    if (url == null) {
      throw new IllegalArgumentException("the configuration names no query store: set webhooks.jdbc.url (or projector.jdbc.url)");
    }
    String prefix = get("webhooks.jdbc.url") != null ? "webhooks.jdbc." : get("projector.jdbc.url") != null ? "projector.jdbc." : "api.jdbc.";
    PGSimpleDataSource ds = (PGSimpleDataSource) dataSource(url, values.getOrDefault(prefix + "user", "postgres"),
        values.getOrDefault(prefix + "password", ""));
    ds.setReadOnly(false);
    ds.setReadOnlyMode("transaction");
    return ds;
  }

  /**
   * The issuing tables as reconcile, resync and trace's source probe read them: the reference tables
   * under their configured names ({@code schema} overrides the schema when given), or, with a mapping
   * file ({@code ingest.mapping.file}), the customer's tables through the mapping as SQL, typed by
   * {@code source}'s information_schema.
   */
  public IssuingTables issuingTables(DataSource source, String schema) {
    if (!mapsOtherTables()) {
      return IssuingTables.reference(schema != null ? schema : sourceSchema(), sourceInvoiceTable(), sourceLineTable());
    }
    String file = get("ingest." + IngestConfig.MAPPING_FILE);
    try {
      Mapping m = Mapping.load(Path.of(file));
      MappingSql sql = MappingSql.of(m, source);
      return new IssuingTables(sql.header(), sql.lines(), m.header().toString(), sql.headerTable(), sql.id(), false);
    } catch (IOException e) {
      throw new ConfigException("ingest." + IngestConfig.MAPPING_FILE, file, "cannot be read: " + e.getMessage());
    } catch (Mapping.Invalid | IllegalArgumentException e) {
      throw new ConfigException("ingest." + IngestConfig.MAPPING_FILE, file, e.getMessage());
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the mapped tables' columns from the issuing database: " + e.getMessage(), e);
    }
  }

  /**
   * sync-streams' configuration as an offline command needs it for its rules ({@code streams.validation.*},
   * {@code streams.zone}): no topic is read, so no bootstrap server is required.
   */
  public SyncStreamsConfig offlineStreams() {
    Map<String, Object> streams = component("streams.");
    streams.putIfAbsent(SyncStreamsConfig.BOOTSTRAP_SERVERS, "unused:9092");
    return new SyncStreamsConfig(streams);
  }

  /** The issuing sources named by {@code sources} (several feed one store), in order; empty: the single source of {@code ingest.*}. */
  public java.util.List<String> sources() {
    return sources(values);
  }

  public static java.util.List<String> sources(Map<String, String> values) {
    String list = values.get(SOURCES);
    if (list == null || list.isBlank()) {
      return java.util.List.of();
    }
    java.util.List<String> names = java.util.Arrays.stream(list.split(",")).map(String::trim).filter(n -> !n.isEmpty()).toList();
    for (String n : names) {
      if (!SOURCE_NAME.matcher(n).matches()) {
        throw new ConfigException(SOURCES, list, "'" + n + "' is not a source name: 1 to 32 of a-z, 0-9, '_' and '-', starting with a letter");
      }
    }
    if (new java.util.HashSet<>(names).size() != names.size()) {
      throw new ConfigException(SOURCES, list, "a source is named twice");
    }
    return names;
  }

  /**
   * The configuration as source {@code name} sees it: its {@code sources.<name>.*} keys in place of the
   * {@code ingest.*} keys of the same name, {@code ingest.source.name} set, and the names that must
   * differ between sources of one deployment (the engine and the logical server name, which key its
   * offsets and metrics; the replication slot; the publication) suffixed with the source's name unless
   * its block gives them.
   */
  public static Map<String, String> forSource(Map<String, String> values, String name) {
    String block = "sources." + name + ".";
    Map<String, String> out = new HashMap<>(values);
    // the engine's name keys its offsets, and the logical server name (topic.prefix) its offsets and its JMX metrics: both
    // take "-name"; slots and publications are SQL identifiers: "_name"
    for (String key : java.util.List.of(IngestConfig.ENGINE_NAME, IngestConfig.TOPIC_PREFIX, IngestConfig.SLOT_NAME,
        IngestConfig.PUBLICATION_NAME)) {
      if (!values.containsKey(block + key)) {
        String base = values.getOrDefault("ingest." + key, ingestDefault(key));
        boolean sql = IngestConfig.SLOT_NAME.equals(key) || IngestConfig.PUBLICATION_NAME.equals(key);
        out.put("ingest." + key, base + (sql ? "_" + name.replace('-', '_') : "-" + name));
      }
    }
    values.forEach((k, v) -> {
      if (k.startsWith(block)) {
        out.put("ingest." + k.substring(block.length()), v);
      }
    });
    out.put("ingest." + IngestConfig.SOURCE_NAME, name);
    // the source's own database, not a probe URL meant for the single source
    out.keySet().removeIf(k -> k.startsWith("api.source.jdbc."));
    return out;
  }

  /**
   * The configuration a command about one source reads: source {@code name}'s ({@code --source}), or
   * this one when it has a single source; several sources and no name is refused, naming them.
   */
  public RunConfig selectSource(String name, String option) {
    if (name != null) {
      return forSource(name);
    }
    if (!sources().isEmpty()) {
      throw new ConfigException(SOURCES, values.get(SOURCES), "this configuration has several issuing sources " + sources() + ": give "
          + option + " NAME");
    }
    return this;
  }

  /** The name of the source this configuration reads ({@code ingest.source.name}), or null for the single, unnamed one. */
  public String sourceName() {
    String n = get("ingest." + IngestConfig.SOURCE_NAME);
    return n == null || n.isBlank() ? null : n;
  }

  /** This configuration as source {@code name} sees it ({@link #forSource(Map, String)}); {@code name} must be one of {@link #sources()}. */
  public RunConfig forSource(String name) {
    if (!sources().contains(name)) {
      throw new ConfigException(SOURCES, values.get(SOURCES), "there is no source '" + name + "'" + (sources().isEmpty()
          ? ": this configuration has a single source (no 'sources' key)" : "; the sources are " + sources()));
    }
    return new RunConfig(forSource(values, name));
  }

  /** Whether ingest captures through a mapping file ({@code ingest.mapping.file}) rather than the reference tables. */
  public boolean mapsOtherTables() {
    String mapping = get("ingest." + IngestConfig.MAPPING_FILE);
    return mapping != null && !mapping.isBlank();
  }

  /** The issuing database, read-only: {@code api.source.jdbc.*}, else built from {@code ingest.database.*}; null when neither is set. */
  public DataSource source() {
    if (get("api.source.jdbc.url") != null) {
      return dataSource(get("api.source.jdbc.url"), values.getOrDefault("api.source.jdbc.user", "postgres"),
          values.getOrDefault("api.source.jdbc.password", ""));
    }
    if (get("ingest.database.hostname") == null && get("ingest.database.port") == null) {
      return null;
    }
    return ingestDatabase();
  }

  /** The issuing database as ingest connects to it ({@code ingest.database.*}, defaults included), read-only. */
  public DataSource issuing() {
    return ingestDatabase();
  }

  /** The issuing database as ingest connects to it ({@code ingest.database.*}), writable: resync inserts its signals there. */
  public DataSource sourceForSignals() {
    PGSimpleDataSource ds = ingestDatabase();
    ds.setReadOnly(false);
    return ds;
  }

  /** The issuing database as {@code ingest.database.*} names it, read-only. */
  private PGSimpleDataSource ingestDatabase() {
    String url = "jdbc:postgresql://" + ingest(IngestConfig.DATABASE_HOSTNAME) + ":"
        + ingest(IngestConfig.DATABASE_PORT) + "/" + ingest(IngestConfig.DATABASE_DBNAME);
    return (PGSimpleDataSource) dataSource(url, ingest(IngestConfig.DATABASE_USER), ingest(IngestConfig.DATABASE_PASSWORD));
  }

  /** Ingest's signal table, qualified ({@code ingest.source.signal.table}, default invoice_sync_signal). */
  public String signalTable() {
    String t = ingestAsWritten(IngestConfig.SIGNAL_TABLE);
    return t.isBlank() ? null : sourceSchema() + "." + t;
  }

  /** The issuing platform's invoice table, unqualified ({@code ingest.source.invoice.table}, default invoice). */
  public String sourceInvoiceTable() {
    return ingest(IngestConfig.INVOICE_TABLE);
  }

  /** The issuing platform's invoice line table, unqualified ({@code ingest.source.line.table}, default invoice_line). */
  public String sourceLineTable() {
    return ingest(IngestConfig.LINE_TABLE);
  }

  public String sourceSchema() {
    return get("api.source.schema") != null ? get("api.source.schema") : ingest(IngestConfig.SOURCE_SCHEMA);
  }

  public String slotName() {
    return get("api.source.slot.name") != null ? get("api.source.slot.name") : ingest(IngestConfig.SLOT_NAME);
  }

  public String bootstrapServers() {
    String b = get("bootstrap.servers");
    if (b == null) {
      throw new IllegalArgumentException("the configuration has no bootstrap.servers");
    }
    return b;
  }

  /**
   * What every Kafka client of an operator command needs: bootstrap.servers and the shared
   * security settings ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}) as written.
   */
  public Map<String, Object> kafkaClientConfig() {
    Map<String, Object> out = new HashMap<>();
    out.put("bootstrap.servers", bootstrapServers());
    out.putAll(KafkaClients.security(values));
    return out;
  }

  /** A read-only data source; {@code user} and {@code password} fill in only what the URL itself does not say ({@code ?user=}). */
  public static DataSource dataSource(String url, String user, String password) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(url);
    if (ds.getUser() == null && user != null && !user.isBlank()) {
      ds.setUser(user);
    }
    if (ds.getPassword() == null && password != null && !password.isEmpty()) {
      ds.setPassword(password);
    }
    ds.setReadOnly(true);
    ds.setReadOnlyMode("always"); // a read-only session PostgreSQL enforces, autocommit or not; a writer's connection says setReadOnly(false)
    ds.setConnectTimeout(5);
    ds.setLogServerErrorDetail(false); // no row values in exception messages (PII)
    return ds;
  }

  /** An {@code ingest.*} key as ingest reads it: its value when set, else ingest's own default. */
  public String ingest(String key) {
    String v = get("ingest." + key);
    return v != null ? v : ingestDefault(key);
  }

  /** An {@code ingest.*} key as written, blank included (blank turns the signal table or notifications off), else ingest's default. */
  private String ingestAsWritten(String key) {
    return values.getOrDefault("ingest." + key, ingestDefault(key));
  }

  private static String ingestDefault(String key) {
    Object d = INGEST_DEFAULTS.get(key);
    return d == null ? "" : d.toString();
  }

  /**
   * A reconciler as this configuration describes it: the issuing tables under their configured names,
   * its {@code reconcile.grace.seconds} and {@code reconcile.hash} unless {@code grace} or {@code hash} are given.
   */
  public Reconciler reconciler(DataSource source, String schema, DataSource store, Duration grace, String hash) {
    if (source == null) {
      throw new IllegalArgumentException("the configuration names no issuing database: set ingest.database.* or api.source.jdbc.url");
    }
    ReconcileConfig defaults = new ReconcileConfig(component("reconcile."));
    Duration g = grace != null ? grace : Duration.ofSeconds(defaults.getLong(ReconcileConfig.GRACE_SECONDS));
    Reconciler r = new Reconciler(source, issuingTables(source, schema), store, g);
    if (sourceName() != null) {
      r.deliveredBy(sourceName()); // one of several sources: only the invoices it delivered are expected from it
    }
    return r
        .withHash(hash != null ? hash : defaults.getString(ReconcileConfig.HASH));
  }

  /**
   * The resyncer this configuration describes: ingest's signal channel (the signal table, or the
   * Kafka topic with read-only snapshots), its notifications topic, the issuing database and the store.
   */
  public Resyncer resyncer() {
    boolean kafkaSignals = "kafka".equals(ingest(IngestConfig.SIGNAL_CHANNEL));
    if (!kafkaSignals && signalTable() == null) {
      throw new IllegalArgumentException("ingest.source.signal.table is empty and ingest.signal.channel is not kafka: ingest takes no "
          + "signals, so nothing can be re-read");
    }
    DataSource source = sourceForSignals();
    Resyncer r = new Resyncer(source, kafkaSignals ? null : signalTable(), issuingTables(source, null), storeForWriter());
    r.withNotifications(kafkaClientConfig(), ingestAsWritten(IngestConfig.NOTIFICATIONS_TOPIC));
    if (kafkaSignals) {
      r.withKafkaSignals(kafkaClientConfig(), ingest(IngestConfig.SIGNALS_TOPIC), ingest(IngestConfig.TOPIC_PREFIX));
    }
    return r;
  }

  /** The scheduler {@code run} starts when {@code reconcile.interval} is set: source and store found as {@code reconcile} finds them. */
  public ReconcileScheduler reconcileScheduler(ReconcileConfig config, MeterRegistry registry) {
    DataSource source = source();
    if (source == null) {
      throw new ConfigException("reconcile.interval is set, but no issuing database is configured: set "
          + "ingest.database.* or api.source.jdbc.url");
    }
    DataSource store = storeForWriter();
    Reconciler reconciler = reconciler(source, null, store, Duration.ofSeconds(config.getLong(ReconcileConfig.GRACE_SECONDS)),
        config.getString(ReconcileConfig.HASH));
    Resyncer resyncer;
    try {
      resyncer = config.getInt(ReconcileConfig.AUTO_REPAIR_MAX) == 0 ? null : resyncer();
    } catch (IllegalArgumentException e) {
      throw new ConfigException("reconcile.auto.repair.max is set, but " + e.getMessage());
    }
    return new ReconcileScheduler(reconciler, store, resyncer, config, registry);
  }
}
