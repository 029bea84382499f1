package io.invoicesync.ingest;

import io.invoicesync.ingest.mapping.Mapping;
import io.invoicesync.schemas.KafkaClients;
import io.invoicesync.schemas.Topics;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/** Configuration of the ingest component; validated at start-up, every key documented with its default. */
public final class IngestConfig extends AbstractConfig {

  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
  public static final String DATABASE_HOSTNAME = "database.hostname";
  public static final String DATABASE_PORT = "database.port";
  public static final String DATABASE_USER = "database.user";
  public static final String DATABASE_PASSWORD = "database.password";
  public static final String DATABASE_DBNAME = "database.dbname";
  public static final String SOURCE_SCHEMA = "source.schema";
  /** This issuing source's name when several feed one store; empty for the single source. */
  public static final String SOURCE_NAME = "source.name";
  public static final String INVOICE_TABLE = "source.invoice.table";
  public static final String LINE_TABLE = "source.line.table";
  public static final String HEARTBEAT_TABLE = "source.heartbeat.table";
  public static final String SIGNAL_TABLE = "source.signal.table";
  public static final String SLOT_NAME = "slot.name";
  public static final String PUBLICATION_NAME = "publication.name";
  public static final String CAPTURED_TOPIC = "topic.captured";
  public static final String OFFSETS_TOPIC = "offsets.topic";
  public static final String NOTIFICATIONS_TOPIC = "notifications.topic";
  public static final String SIGNAL_CHANNEL = "signal.channel";
  public static final String SIGNALS_TOPIC = "signals.topic";
  public static final String HEARTBEAT_INTERVAL_MS = "heartbeat.interval.ms";
  public static final String SNAPSHOT_MODE = "snapshot.mode";
  public static final String OFFSET_FLUSH_INTERVAL_MS = "offset.flush.interval.ms";
  public static final String ENGINE_NAME = "engine.name";
  public static final String TOPIC_PREFIX = "topic.prefix";
  public static final String MAX_CHANGE_BYTES = "max.change.bytes";
  public static final String MAPPING_FILE = "mapping.file";

  /** Keys with this prefix are passed to the Debezium connector as they are, after the prefix is removed. */
  public static final String DEBEZIUM_PREFIX = "debezium.";
  /** Tuning of ingest's producer to the captured topic, passed to Kafka after the guards. */
  public static final String PRODUCER_PREFIX = "producer.";

  /** Producer settings ingest's exactly-one-change-per-transaction output relies on (null: not settable). */
  static final Map<String, String> PRODUCER_GUARDED = KafkaClients.guarded(
      "enable.idempotence", "true", "acks", "all", "transactional.id", null, "bootstrap.servers", null, "key.serializer", null,
      "value.serializer", null);

  private static final ConfigDef DEF = new ConfigDef()
      .define(BOOTSTRAP_SERVERS, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Kafka bootstrap servers for invoices.captured and the offsets topic.")
      .define(SCHEMA_REGISTRY_URL, Type.STRING, "", Importance.HIGH,
          "Apicurio Registry core API URL (e.g. http://registry:8080/apis/registry/v3). Empty = registry-less: "
              + "schemas resolve from the built-in catalog.")
      .define(DATABASE_HOSTNAME, Type.STRING, "localhost", Importance.HIGH, "Issuing database host.")
      .define(DATABASE_PORT, Type.INT, 5432, Range.between(1, 65535), Importance.HIGH, "Issuing database port.")
      .define(DATABASE_USER, Type.STRING, "postgres", Importance.HIGH,
          "Database user; needs REPLICATION and SELECT on the captured tables (and CREATE on the database when the publication must be created).")
      .define(DATABASE_PASSWORD, Type.PASSWORD, "", Importance.HIGH, "Database password.")
      .define(DATABASE_DBNAME, Type.STRING, "issuing", Importance.HIGH, "Issuing database name.")
      .define(SOURCE_NAME, Type.STRING, "", (name, value) -> {
        if (value != null && !value.toString().isEmpty() && !value.toString().matches("[a-z][a-z0-9_-]{0,31}")) {
          throw new ConfigException(name, value, "a source's name is 1 to 32 of a-z, 0-9, '_' and '-', starting with a letter");
        }
      }, Importance.MEDIUM, "This issuing source's name when several issuing databases feed one store ('sources' in 'invoice-sync run'; "
          + "docs/mapping.md): part of every source position, audit entry and trace, and what 'reconcile --source' names. Changes of one "
          + "invoice are ordered within a source; the same invoice from another source is deduplicated when its content is the same and "
          + "rejected as SOURCE_CONFLICT when not. Empty: the single, unnamed source.")
      .define(SOURCE_SCHEMA, Type.STRING, "issuing", Importance.MEDIUM, "Schema holding the invoice tables.")
      .define(INVOICE_TABLE, Type.STRING, "invoice", Importance.MEDIUM, "Invoice header table.")
      .define(LINE_TABLE, Type.STRING, "invoice_line", Importance.MEDIUM, "Invoice line table.")
      .define(HEARTBEAT_TABLE, Type.STRING, "invoice_sync_heartbeat", Importance.MEDIUM,
          "Table the heartbeat action query upserts into, so the replication slot advances on a quiet database. "
              + "Empty = no action query (only Debezium's own heartbeat records).")
      .define(SIGNAL_TABLE, Type.STRING, "invoice_sync_signal", Importance.MEDIUM,
          "Debezium's signal table in the source schema (id, type, data): 'invoice-sync resync' writes execute-snapshot signals there "
              + "and ingest re-reads the named invoices with an incremental snapshot. Empty = no signals (resync unavailable).")
      .define(SLOT_NAME, Type.STRING, "invoice_sync", Importance.MEDIUM, "Logical replication slot (created by Debezium when missing).")
      .define(PUBLICATION_NAME, Type.STRING, "invoice_sync", Importance.MEDIUM,
          "pgoutput publication; created for the captured tables at start when missing, validated when present.")
      .define(CAPTURED_TOPIC, Type.STRING, Topics.CAPTURED.name(), Importance.MEDIUM, "Topic ingest writes InvoiceChange records to.")
      .define(OFFSETS_TOPIC, Type.STRING, "invoice-sync.ingest.offsets", Importance.MEDIUM,
          "Compacted topic holding Debezium's source offsets, so a restarted or standby ingest resumes where the last one stopped.")
      .define(SIGNAL_CHANNEL, Type.STRING, "source", ConfigDef.ValidString.in("source", "kafka"), Importance.MEDIUM,
          "Where 'invoice-sync resync' sends Debezium its signals: 'source' = the signal table (source.signal.table; ingest writes "
              + "incremental-snapshot watermarks there too), 'kafka' = the topic signals.topic, with read-only incremental snapshots "
              + "(nothing is written to the issuing database; PostgreSQL 14 or later, as Debezium 3.6 requires).")
      .define(SIGNALS_TOPIC, Type.STRING, "invoice-sync.ingest.signals", Importance.LOW,
          "With signal.channel=kafka: the topic Debezium reads signals from (key = topic.prefix).")
      .define(NOTIFICATIONS_TOPIC, Type.STRING, "invoice-sync.ingest.notifications", Importance.MEDIUM,
          "Topic ingest publishes Debezium's notifications to (JSON: aggregateType, type, additionalData, timestamp), e.g. that an "
              + "incremental snapshot requested by 'invoice-sync resync' completed. Empty = not published.")
      .define(HEARTBEAT_INTERVAL_MS, Type.INT, 10_000, Range.atLeast(0), Importance.MEDIUM,
          "Debezium heartbeat interval; 0 disables heartbeats (not recommended: a quiet database then keeps WAL pinned).")
      .define(MAPPING_FILE, Type.STRING, "", Importance.HIGH,
          "A mapping from the issuing database's own tables to invoices (YAML; docs/mapping.md; check it first with 'invoice-sync mapping "
              + "check'): ingest captures the tables it names and maps their rows by it. Empty = the reference schema (source.schema, "
              + "source.invoice.table, source.line.table). The heartbeat and signal tables stay in source.schema. Reconcile, resync and "
              + "trace's source probe read the tables through the same mapping.")
      .define(SNAPSHOT_MODE, Type.STRING, "when_needed", ValidString.in("initial", "no_data", "when_needed"), Importance.MEDIUM,
          "Debezium snapshot.mode. 'when_needed' snapshots existing invoice headers (their lines are read in the same pass) on the "
              + "first start, and again whenever the stored position can no longer be read: the replication slot was dropped, or the "
              + "database was restored from a backup or moved to a new cluster; unchanged invoices are then deduplicated downstream. "
              + "'initial' snapshots once and refuses to start in those cases (nothing is skipped; an operator decides); 'no_data' "
              + "captures only changes after the slot was created.")
      .define(OFFSET_FLUSH_INTERVAL_MS, Type.LONG, 1_000L, Range.atLeast(0), Importance.LOW,
          "How often source offsets are committed; changes after the last commit are re-read after a crash (and dropped downstream as redeliveries).")
      .define(ENGINE_NAME, Type.STRING, "invoice-sync-ingest", Importance.LOW, "Debezium engine name; also the key of its offsets.")
      .define(TOPIC_PREFIX, Type.STRING, "issuing", Importance.LOW, "Debezium topic.prefix (logical server name); part of the offsets' identity.")
      .define(MAX_CHANGE_BYTES, Type.INT, 10 * 1024 * 1024, Range.between(64 * 1024, Topics.MAX_RECORD_BYTES / 3), Importance.LOW,
          "Largest change (serialized, bytes) carried whole, lines included (10 MiB: about 110,000 lines). A larger one is published "
              + "without its lines and rejected by sync-streams as CHANGE_TOO_LARGE, naming its size, instead of stopping ingest; "
              + "at most a third of the topics' max.message.bytes (" + Topics.MAX_RECORD_BYTES + "), which the states derived from it need.");

  /**
   * {@value #DEBEZIUM_PREFIX} overrides that would break what ingest relies on, with the only value
   * they may have: one change per source transaction (transaction metadata), the publication ingest
   * creates and validates itself, pgoutput, exact decimals, a slot that survives a stop.
   */
  static final Map<String, String> GUARDED = Map.of(
      "provide.transaction.metadata", "true",
      "publication.autocreate.mode", "disabled",
      "plugin.name", "pgoutput",
      "decimal.handling.mode", "precise",
      "slot.drop.on.stop", "false",
      "connector.class", "io.debezium.connector.postgresql.PostgresConnector");

  /** {@value #DEBEZIUM_PREFIX} overrides of what ingest derives from its own keys: set those instead. */
  static final Map<String, String> OWN_KEYS = Map.ofEntries(
      Map.entry("table.include.list", SOURCE_SCHEMA + ", " + INVOICE_TABLE + ", " + LINE_TABLE),
      Map.entry("snapshot.mode", SNAPSHOT_MODE),
      Map.entry("slot.name", SLOT_NAME),
      Map.entry("publication.name", PUBLICATION_NAME),
      Map.entry("signal.enabled.channels", SIGNAL_CHANNEL),
      Map.entry("signal.data.collection", SIGNAL_TABLE),
      Map.entry("signal.kafka.topic", SIGNALS_TOPIC),
      Map.entry("read.only", SIGNAL_CHANNEL),
      Map.entry("notification.enabled.channels", NOTIFICATIONS_TOPIC),
      Map.entry("notification.sink.topic.name", NOTIFICATIONS_TOPIC));

  public IngestConfig(Map<?, ?> originals) {
    super(DEF, originals, false);
    this.mapping = loadMapping();
    for (Map.Entry<String, Object> e : originalsWithPrefix(DEBEZIUM_PREFIX).entrySet()) {
      String value = String.valueOf(e.getValue()).trim();
      String required = GUARDED.get(e.getKey());
      if (required != null && !required.equalsIgnoreCase(value)) {
        throw new ConfigException(DEBEZIUM_PREFIX + e.getKey(), value, "cannot be overridden: ingest needs " + required);
      }
      if (OWN_KEYS.containsKey(e.getKey())) {
        throw new ConfigException(DEBEZIUM_PREFIX + e.getKey(), value, "ingest sets it from its own key(s): " + OWN_KEYS.get(e.getKey()));
      }
    }
    producerOverrides();
  }

  /** Tuning under {@value #PRODUCER_PREFIX}, checked. */
  public Map<String, Object> producerOverrides() {
    return KafkaClients.overrides(originals(), "ingest.", PRODUCER_PREFIX,
        KafkaClients.producerConfigNames(), PRODUCER_GUARDED);
  }

  /** What an Admin client of ingest's needs: bootstrap servers and the shared security settings. */
  public Map<String, Object> kafkaCommon() {
    return KafkaClients.common(getString(BOOTSTRAP_SERVERS), originals());
  }

  /**
   * Properties of ingest's own JDBC connections to the issuing database (the checks at start,
   * snapshot line loading, the streaming wait): user, password, and the TLS settings Debezium is
   * given ({@code debezium.database.sslmode}, {@code .sslrootcert}, {@code .sslcert}, {@code .sslkey},
   * {@code .sslpassword}), so both connect the same way.
   */
  public Properties jdbcProperties() {
    Properties props = new Properties();
    props.put("user", getString(DATABASE_USER));
    props.put("password", getPassword(DATABASE_PASSWORD).value());
    props.put("logServerErrorDetail", "false"); // no row values in exception messages (PII)
    Map<String, Object> dbz = originalsWithPrefix(DEBEZIUM_PREFIX + "database.");
    for (String ssl : List.of("sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslfactory")) {
      if (dbz.get(ssl) != null) {
        props.put(ssl, String.valueOf(dbz.get(ssl)));
      }
    }
    return props;
  }

  /** A copy of the definition: a caller cannot change what this class validates. */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }

  /**
   * How ingest reads invoices: the reference mapping on the tables {@code source.schema},
   * {@code source.invoice.table} and {@code source.line.table} name ({@link #MAPPING_FILE} is refused
   * until capture follows a mapping of other tables).
   */
  public Mapping mapping() {
    return mapping;
  }

  private final Mapping mapping;

  /** The mapping file, read and validated once (a ConfigException names every problem); else the reference mapping on ingest.source.*. */
  private Mapping loadMapping() {
    String file = getString(MAPPING_FILE);
    if (file.isBlank()) {
      return Mapping.reference().withTables(new Mapping.TableName(getString(SOURCE_SCHEMA), getString(INVOICE_TABLE)),
          new Mapping.TableName(getString(SOURCE_SCHEMA), getString(LINE_TABLE)));
    }
    try {
      return Mapping.load(java.nio.file.Path.of(file));
    } catch (java.io.IOException e) {
      throw new ConfigException(MAPPING_FILE, file, "cannot be read: " + e.getMessage());
    } catch (Mapping.Invalid e) {
      throw new ConfigException(MAPPING_FILE, file, "is not a valid mapping: " + String.join("; ", e.problems()));
    }
  }

  /** The header table ingest captures: the mapping's ({@code source.schema}.{@code source.invoice.table} without a mapping file). */
  public String qualifiedInvoiceTable() {
    return mapping.header().toString();
  }

  /** The line table ingest captures: the mapping's ({@code source.schema}.{@code source.line.table} without a mapping file). */
  public String qualifiedLineTable() {
    return mapping.lines().toString();
  }

  public String qualifiedHeartbeatTable() {
    String t = getString(HEARTBEAT_TABLE);
    return t.isBlank() ? null : getString(SOURCE_SCHEMA) + "." + t;
  }

  /** The signal table, or null when there is none or signals go through Kafka. */
  public String qualifiedSignalTable() {
    if (kafkaSignals()) {
      return null;
    }
    String t = getString(SIGNAL_TABLE);
    return t.isBlank() ? null : getString(SOURCE_SCHEMA) + "." + t;
  }

  public boolean kafkaSignals() {
    return "kafka".equals(getString(SIGNAL_CHANNEL));
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + getString(DATABASE_HOSTNAME) + ":" + getInt(DATABASE_PORT) + "/" + getString(DATABASE_DBNAME);
  }

  public Map<String, Object> debeziumOverrides() {
    return originalsWithPrefix(DEBEZIUM_PREFIX);
  }
}
