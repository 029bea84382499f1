package io.invoicesync.projector;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.invoicesync.schemas.KafkaClients;
import io.invoicesync.schemas.TopicPlan;
import io.invoicesync.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** Configuration of the projector; validated at start-up, every key documented with its default. */
public final class ProjectorConfig extends AbstractConfig {

  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
  public static final String GROUP_ID = "group.id";
  public static final String SYNCED_TOPIC = "topic.synced";
  public static final String SYNCED_DLT_TOPIC = "topic.synced.dlt";
  public static final String SYNCED_RETRY_TOPIC = "topic.synced.retry";
  public static final String PROJECTION_TOPIC = "topic.projection";
  public static final String AUDIT_TOPIC = "topic.audit";
  public static final String REJECTED_TOPIC = "topic.rejected";
  public static final String CAPTURED_DLT_TOPIC = "topic.captured.dlt";
  public static final String AUDIT_CHECKPOINTS_TOPIC = "topic.audit.checkpoints";
  public static final String AUDIT_ANCHOR_DIR = "audit.anchor.dir";
  public static final String OUTCOMES_GROUP_ID = "outcomes.group.id";
  public static final String OUTCOMES_ENABLED = "outcomes.enabled";
  public static final String RETRY_MAX_ATTEMPTS = "retry.max.attempts";
  public static final String RETRY_BACKOFF_INITIAL_MS = "retry.backoff.initial.ms";
  public static final String RETRY_BACKOFF_MAX_MS = "retry.backoff.max.ms";
  public static final String JDBC_URL = "jdbc.url";
  public static final String JDBC_USER = "jdbc.user";
  public static final String JDBC_PASSWORD = "jdbc.password";
  public static final String MAX_POLL_RECORDS = "max.poll.records";
  public static final String BACKOFF_INITIAL_MS = "outage.backoff.initial.ms";
  public static final String BACKOFF_MAX_MS = "outage.backoff.max.ms";
  public static final String MIGRATE = "migrate";
  public static final String INSTANCE_ID = "instance.id";
  /** Tuning of the consumers (projector, outcome recorder), passed to Kafka after the guards. */
  public static final String CONSUMER_PREFIX = "consumer.";
  /** Tuning of the producer to the retry, dead-letter and projection topics, passed to Kafka after the guards. */
  public static final String PRODUCER_PREFIX = "producer.";

  /** Consumer settings the loops rely on (null: set by invoice-sync, not settable). */
  static final Map<String, String> CONSUMER_GUARDED = KafkaClients.guarded(
      ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
      ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
      ConsumerConfig.GROUP_ID_CONFIG, null,
      ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, null,
      ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, null,
      ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, null,
      ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, null,
      ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, null);

  /** Producer settings the retry and dead-letter paths rely on. */
  static final Map<String, String> PRODUCER_GUARDED = KafkaClients.guarded(
      ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
      ProducerConfig.ACKS_CONFIG, "all",
      ProducerConfig.TRANSACTIONAL_ID_CONFIG, null,
      ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, null,
      ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, null,
      ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, null);



  private static final ConfigDef DEF = new ConfigDef()
      .define(BOOTSTRAP_SERVERS, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH, "Kafka bootstrap servers.")
      .define(SCHEMA_REGISTRY_URL, Type.STRING, "", Importance.HIGH, "Apicurio Registry URL; empty = registry-less (built-in schema catalog).")
      .define(GROUP_ID, Type.STRING, "invoice-sync-projector", Importance.HIGH, "Consumer group; instances of one group share the partitions.")
      .define(SYNCED_TOPIC, Type.STRING, Topics.SYNCED.name(), Importance.MEDIUM, "Input: InvoiceState from sync-streams.")
      .define(SYNCED_DLT_TOPIC, Type.STRING, Topics.SYNCED_DLT.name(), Importance.MEDIUM,
          "Dead letters: original bytes + provenance headers of records that cannot be applied.")
      .define(SYNCED_RETRY_TOPIC, Type.STRING, Topics.SYNCED_RETRY.name(), Importance.MEDIUM,
          "Retry topic for record-specific transient failures; created with the partition count of the synced topic, so a key's "
              + "retry partition is consumed by the instance that owns its main partition.")
      .define(PROJECTION_TOPIC, Type.STRING, Topics.PROJECTION.name(), Importance.MEDIUM,
          "Output: a ProjectionEvent per decision (projected, retried, dead-lettered), which sync-streams chains into the audit.")
      .define(AUDIT_TOPIC, Type.STRING, Topics.AUDIT.name(), Importance.MEDIUM, "Input of the outcome recorder: every decision, chained.")
      .define(REJECTED_TOPIC, Type.STRING, Topics.REJECTED.name(), Importance.MEDIUM, "Input of the outcome recorder: rejections with violations.")
      .define(AUDIT_CHECKPOINTS_TOPIC, Type.STRING, Topics.AUDIT_CHECKPOINTS.name(), Importance.MEDIUM,
          "Input of the outcome recorder: every audit checkpoint is anchored in the query store (table audit_anchor, append-only).")
      .define(AUDIT_ANCHOR_DIR, Type.STRING, "", Importance.MEDIUM,
          "A directory where the outcome recorder also appends each checkpoint as one JSON line (anchors-YYYY-MM.jsonl, by the "
              + "checkpoint's month, UTC), for WORM or object-lock storage; audit verify --anchors reads them. Empty = none.")
      .define(CAPTURED_DLT_TOPIC, Type.STRING, Topics.CAPTURED_DLT.name(), Importance.MEDIUM,
          "Input of the outcome recorder: sync-streams' dead letters (the projector's own come from topic.synced.dlt).")
      .define(OUTCOMES_GROUP_ID, Type.STRING, "invoice-sync-outcomes", Importance.MEDIUM,
          "Consumer group of the outcome recorder, which writes the audit trail, rejections and dead letters into the query store.")
      .define(OUTCOMES_ENABLED, Type.BOOLEAN, true, Importance.LOW,
          "Run the outcome recorder beside the projector (trace, rejection search and status read what it writes).")
      .define(RETRY_MAX_ATTEMPTS, Type.INT, 5, Range.between(1, 1000), Importance.MEDIUM,
          "Attempts of a record that keeps failing with a record-specific transient error before it is dead-lettered.")
      .define(RETRY_BACKOFF_INITIAL_MS, Type.LONG, 1_000L, Range.atLeast(1), Importance.LOW,
          "Back-off before the first retry of a record; doubles per attempt.")
      .define(RETRY_BACKOFF_MAX_MS, Type.LONG, 60_000L, Range.atLeast(1), Importance.LOW, "Longest back-off between retries of a record.")
      .define(JDBC_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Query store JDBC URL, e.g. jdbc:postgresql://db:5432/querystore")
      .define(JDBC_USER, Type.STRING, "postgres", Importance.HIGH, "Query store user.")
      .define(JDBC_PASSWORD, Type.PASSWORD, "", Importance.HIGH, "Query store password.")
      .define(MAX_POLL_RECORDS, Type.INT, 1000, Range.between(1, 100_000), Importance.MEDIUM,
          "Records per poll, and so the largest batch written in one transaction.")
      .define(BACKOFF_INITIAL_MS, Type.LONG, 100L, Range.atLeast(1), Importance.LOW, "First back-off while the query store is unreachable.")
      .define(BACKOFF_MAX_MS, Type.LONG, 2_000L, Range.atLeast(1), Importance.LOW,
          "Longest back-off (doubling from the initial one) while the query store is unreachable; retries never stop. "
              + "It bounds how long after the store is back the projector resumes.")
      .define(MIGRATE, Type.BOOLEAN, true, Importance.LOW, "Apply the query store's Flyway migrations at start.")
      .define(INSTANCE_ID, Type.STRING, "", Importance.MEDIUM,
          "Static group membership (group.instance.id) of the projector's and the outcome recorder's consumers, unique per instance: "
              + "a restarted instance takes its partitions back at once instead of after the dead member's session timeout (45 s). "
              + "Empty = dynamic membership.");

  public ProjectorConfig(Map<?, ?> originals) {
    super(DEF, originals, false);
    atLeast(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS);
    atLeast(RETRY_BACKOFF_MAX_MS, RETRY_BACKOFF_INITIAL_MS);
    Object pollRecords = originals.get(CONSUMER_PREFIX + ConsumerConfig.MAX_POLL_RECORDS_CONFIG);
    if (pollRecords != null) {
      // the loops size their batches (one transaction each) by max.poll.records: one key, validated, not two
      throw new ConfigException("projector." + CONSUMER_PREFIX + ConsumerConfig.MAX_POLL_RECORDS_CONFIG, pollRecords,
          "set projector." + MAX_POLL_RECORDS + " instead (the projector's batch size, validated 1-100000)");
    }
    consumerOverrides();
    producerOverrides();
  }

  private Map<String, Object> consumerOverrides() {
    return KafkaClients.overrides(originals(), "projector.", CONSUMER_PREFIX,
        KafkaClients.consumerConfigNames(), CONSUMER_GUARDED);
  }

  private Map<String, Object> producerOverrides() {
    return KafkaClients.overrides(originals(), "projector.", PRODUCER_PREFIX,
        KafkaClients.producerConfigNames(), PRODUCER_GUARDED);
  }

  /** What an Admin client of the projector's needs: bootstrap servers and the shared security settings. */
  public Map<String, Object> adminProperties() {
    return KafkaClients.common(getString(BOOTSTRAP_SERVERS), originals());
  }

  /**
   * The producer to the retry, dead-letter and projection topics: idempotent, acks=all, the shared
   * security settings, then the tuning under {@value #PRODUCER_PREFIX}.
   */
  public Properties producerProperties(String clientId) {
    Properties p = new Properties();
    p.putAll(adminProperties());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    // a parked or dead-lettered state of an invoice with many lines is megabytes
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES);
    p.putAll(producerOverrides());
    return p;
  }

  /**
   * A consumer of this projector's: group {@code groupId}, offsets committed by the loop after its
   * write, committed data only, batches of {@code max.poll.records}; the shared security settings,
   * then the tuning under {@value #CONSUMER_PREFIX}.
   */
  public Properties consumerProperties(String groupId) {
    Properties p = new Properties();
    p.putAll(adminProperties());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, getInt(MAX_POLL_RECORDS));
    if (!getString(INSTANCE_ID).isBlank()) {
      p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, getString(INSTANCE_ID));
    }
    p.putAll(consumerOverrides());
    return p;
  }

  /** Guard: the back-off cap {@code max} must not be below its start {@code initial}. */
  private void atLeast(String max, String initial) {
    if (getLong(max) < getLong(initial)) {
      throw new ConfigException(max, getLong(max), "must be >= " + initial + " (" + getLong(initial) + ")");
    }
  }

  /**
   * A pool on the query store for one of the projector's loops: it starts even when the store is
   * down (the loop backs off), and a connection attempt gives up after 2 s so an outage is noticed.
   */
  public HikariDataSource queryStorePool(String name, int size, MeterRegistry registry) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(getString(JDBC_URL));
    hc.setUsername(getString(JDBC_USER));
    hc.setPassword(getPassword(JDBC_PASSWORD).value());
    hc.setMaximumPoolSize(size);
    hc.setConnectionTimeout(2_000);
    hc.setInitializationFailTimeout(-1);
    hc.setPoolName(name);
    hc.setMetricRegistry(registry);
    // PostgreSQL's "Detail: Failing row contains (...)" (buyer ids, phones, accounts) stays out of exceptions, and so out of
    // dead-letter headers and logs
    hc.addDataSourceProperty("logServerErrorDetail", "false");
    return new HikariDataSource(hc);
  }

  /** The deployment's topics under the names configured here (ARCHITECTURE.md, "Topics"). */
  public TopicPlan topicPlan() {
    return TopicPlan.defaults()
        .named(Topics.SYNCED, getString(SYNCED_TOPIC))
        .named(Topics.SYNCED_RETRY, getString(SYNCED_RETRY_TOPIC))
        .named(Topics.SYNCED_DLT, getString(SYNCED_DLT_TOPIC))
        .named(Topics.PROJECTION, getString(PROJECTION_TOPIC))
        .named(Topics.AUDIT, getString(AUDIT_TOPIC))
        .named(Topics.AUDIT_CHECKPOINTS, getString(AUDIT_CHECKPOINTS_TOPIC))
        .named(Topics.REJECTED, getString(REJECTED_TOPIC))
        .named(Topics.CAPTURED_DLT, getString(CAPTURED_DLT_TOPIC));
  }

  /** A copy of the definition: a caller cannot change what this class validates. */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }
}
