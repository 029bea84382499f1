package io.invoicesync.streams;

import io.invoicesync.schemas.AuditKeys;
import io.invoicesync.schemas.KafkaClients;
import io.invoicesync.schemas.TopicPlan;
import io.invoicesync.schemas.Topics;
import io.invoicesync.streams.rules.ValidationRules;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Period;
import java.time.ZoneId;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.streams.StreamsConfig;

/** Configuration of sync-streams; validated at start-up, every key documented with its default. */
public final class SyncStreamsConfig extends AbstractConfig {

  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String APPLICATION_ID = "application.id";
  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
  public static final String STATE_DIR = "state.dir";
  public static final String INSTANCE_ID = "instance.id";
  public static final String NUM_STREAM_THREADS = "num.stream.threads";
  public static final String COMMIT_INTERVAL_MS = "commit.interval.ms";
  public static final String COMMIT_EARLY_INTERVAL_MS = "commit.early.interval.ms";
  public static final String COMMIT_EARLY_MAX_AGE_MS = "commit.early.max.age.ms";
  public static final String COMMIT_EARLY_MAX_RATE = "commit.early.max.rate";
  public static final String CAPTURED_TOPIC = "topic.captured";
  public static final String IMPORTED_TOPIC = "topic.imported";
  public static final String SYNCED_TOPIC = "topic.synced";
  public static final String REJECTED_TOPIC = "topic.rejected";
  public static final String AUDIT_TOPIC = "topic.audit";
  public static final String CAPTURED_DLT_TOPIC = "topic.captured.dlt";
  public static final String PROJECTION_TOPIC = "topic.projection";
  public static final String AUDIT_CHECKPOINTS_TOPIC = "topic.audit.checkpoints";
  public static final String AUDIT_CHECKPOINT_INTERVAL_MS = "audit.checkpoint.interval.ms";
  public static final String AUDIT_CHECKPOINTS_ENABLED = "audit.checkpoints.enabled";
  public static final String AUDIT_SIGNING_KEY = "audit.signing.key";
  public static final String AUDIT_SIGNING_KEY_FILE = "audit.signing.key.file";
  public static final String AUDIT_SIGNING_PRIVATE_KEY = "audit.signing.private.key";
  public static final String AUDIT_SIGNING_KEY_ID = "audit.signing.key.id";
  public static final String RED_LEDGER_TOPIC = "topic.red.ledger";
  public static final String RED_VERDICT_TOPIC = "topic.red.verdicts";
  public static final String RED_WAIT_MS = "validation.red.wait.ms";
  public static final String RED_CHECK_INTERVAL_MS = "validation.red.check.interval.ms";
  public static final String LINE_AMOUNT_TOLERANCE = "validation.line.amount.tolerance";
  public static final String LINE_TAX_TOLERANCE = "validation.line.tax.tolerance";
  public static final String INVOICE_TAX_TOLERANCE = "validation.invoice.tax.tolerance";
  public static final String TAX_RATES = "validation.tax.rates";
  public static final String MAX_ISSUE_AGE_YEARS = "validation.issue.max.age.years";
  public static final String ZONE = "validation.zone";

  /** Keys with this prefix go to Kafka Streams as they are, after the prefix is removed. */
  public static final String STREAMS_PREFIX = "streams.";

  private static final ConfigDef DEF = new ConfigDef()
      .define(BOOTSTRAP_SERVERS, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH, "Kafka bootstrap servers.")
      .define(APPLICATION_ID, Type.STRING, "invoice-sync-streams", Importance.HIGH,
          "Kafka Streams application id: consumer group, transactional id prefix and internal topic prefix.")
      .define(SCHEMA_REGISTRY_URL, Type.STRING, "", Importance.HIGH, "Apicurio Registry URL; empty = registry-less (built-in schema catalog).")
      .define(STATE_DIR, Type.STRING, System.getProperty("java.io.tmpdir") + "/invoice-sync-streams", Importance.MEDIUM,
          "Directory of the local state stores (restored from their changelogs when lost).")
      .define(INSTANCE_ID, Type.STRING, "", Importance.MEDIUM,
          "Static group membership id of this instance (group.instance.id; Streams appends the thread index). Give each instance a "
              + "stable, unique value (e.g. the pod name) so a restarted instance takes its partitions back at once instead of waiting "
              + "out the old member's session. Empty = dynamic membership.")
      .define(NUM_STREAM_THREADS, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM, "Stream threads in this instance.")
      .define(COMMIT_INTERVAL_MS, Type.LONG, 100L, Range.atLeast(1), Importance.MEDIUM,
          "Transaction commit interval; bounds the latency added by exactly_once_v2. While sync-streams keeps up, see "
              + "commit.early.interval.ms.")
      .define(COMMIT_EARLY_INTERVAL_MS, Type.LONG, 40L, Range.atLeast(-1), Importance.LOW,
          "While sync-streams keeps up with its input (the record decided was written at most commit.early.max.age.ms ago), "
              + "a decision commits at once instead of at the next commit.interval.ms, at most one commit per this many ms: "
              + "what it wrote is readable (read_committed) sooner by the projector and, for a red invoice, by the ledger and back. "
              + "-1 = commit on commit.interval.ms only.")
      .define(COMMIT_EARLY_MAX_AGE_MS, Type.LONG, 100L, Range.atLeast(0), Importance.LOW,
          "The oldest record, by its Kafka timestamp, whose decision still commits early; older ones mean a backlog, where "
              + "commits on commit.interval.ms keep the throughput.")
      .define(COMMIT_EARLY_MAX_RATE, Type.LONG, 500L, Range.atLeast(0), Importance.LOW,
          "Decisions per second (the process's stream threads, over the last second) above which none commits early: at a high rate a commit "
              + "per commit.early.interval.ms costs capacity, and commit.interval.ms alone keeps the latency bounded.")
      .define(CAPTURED_TOPIC, Type.STRING, Topics.CAPTURED.name(), Importance.MEDIUM, "Input: InvoiceChange from ingest.")
      .define(IMPORTED_TOPIC, Type.STRING, Topics.IMPORTED.name(), Importance.MEDIUM,
          "Input: InvoiceChange read from the tax platform's files by 'invoice-sync import'; co-partitioned with the captured topic "
              + "(created with its partition count when missing).")
      .define(SYNCED_TOPIC, Type.STRING, Topics.SYNCED.name(), Importance.MEDIUM, "Output: InvoiceState.")
      .define(REJECTED_TOPIC, Type.STRING, Topics.REJECTED.name(), Importance.MEDIUM, "Output: InvoiceRejected.")
      .define(AUDIT_TOPIC, Type.STRING, Topics.AUDIT.name(), Importance.MEDIUM, "Output: AuditEntry.")
      .define(CAPTURED_DLT_TOPIC, Type.STRING, Topics.CAPTURED_DLT.name(), Importance.MEDIUM,
          "Dead letters: records of the input topic that do not deserialize, with provenance headers.")
      .define(PROJECTION_TOPIC, Type.STRING, Topics.PROJECTION.name(), Importance.MEDIUM,
          "Input: the projector's ProjectionEvents, chained into the audit; co-partitioned with the captured topic (created with its "
              + "partition count when missing).")
      .define(AUDIT_CHECKPOINTS_TOPIC, Type.STRING, Topics.AUDIT_CHECKPOINTS.name(), Importance.MEDIUM,
          "Output: AuditCheckpoint, a Merkle root over every chain head of a task, taken every audit.checkpoint.interval.ms; never deleted.")
      .define(AUDIT_CHECKPOINT_INTERVAL_MS, Type.LONG, 300_000L, Range.atLeast(0), Importance.MEDIUM,
          "How often each task commits to its audit chain heads (wall clock); each checkpoint reads the task's whole state store. "
              + "0 is refused unless audit.checkpoints.enabled=false says so.")
      .define(AUDIT_CHECKPOINTS_ENABLED, Type.BOOLEAN, true, Importance.LOW,
          "false = no checkpoints at all: a deleted chain or a truncated audit topic is then not detectable, and audit verify says so.")
      .define(AUDIT_SIGNING_KEY, Type.PASSWORD, null, Importance.HIGH,
          "HMAC-SHA256 secret (its UTF-8 bytes, at least 16) that signs every audit entry and checkpoint (format v3), best from a "
              + "config provider (${file:...}, ${env:...}). Kafka never holds it; auditors verify with it (audit verify --key). "
              + "Unset with the two below = unkeyed entries (format v2), which anyone who can write the topic can forge.")
      .define(AUDIT_SIGNING_KEY_FILE, Type.STRING, "", Importance.HIGH,
          "A file whose bytes are the HMAC-SHA256 secret (openssl rand -out audit.key 32), instead of audit.signing.key.")
      .define(AUDIT_SIGNING_PRIVATE_KEY, Type.STRING, "", Importance.HIGH,
          "An Ed25519 private key in PKCS#8 PEM (a file path, or the PEM itself; openssl genpkey -algorithm ed25519) that signs "
              + "every audit entry and checkpoint; auditors verify with its public key, which cannot sign.")
      .define(AUDIT_SIGNING_KEY_ID, Type.STRING, "", Importance.HIGH,
          "The signing key's id, written into every entry (keyId) so keys can rotate: old entries verify with the old key's id. "
              + "Default: the key file's name without its extension; required for audit.signing.key and an inline PEM.")
      .define(RED_LEDGER_TOPIC, Type.STRING, "", Importance.LOW,
          "Internal topic to the red-letter ledger, keyed by blue invoice code|number. Empty = '<application.id>-red-ledger'.")
      .define(RED_VERDICT_TOPIC, Type.STRING, "", Importance.LOW,
          "Internal topic of ledger verdicts, keyed by red invoice id; created with the partition count of the captured topic "
              + "(they must be co-partitioned). Empty = '<application.id>-red-verdicts'.")
      .define(RED_WAIT_MS, Type.LONG, 300_000L, Range.atLeast(0), Importance.MEDIUM,
          "How long a red-letter invoice waits for its blue invoice before it is rejected with RED_ORIGINAL_MISSING (wall clock).")
      .define(RED_CHECK_INTERVAL_MS, Type.LONG, 1_000L, Range.atLeast(10), Importance.LOW,
          "How often waiting red-letter invoices are checked for their deadline.")
      .define(LINE_AMOUNT_TOLERANCE, Type.STRING, "0.01", Importance.LOW, "|quantity × unit price − amount| allowed per line.")
      .define(LINE_TAX_TOLERANCE, Type.STRING, "0.06", Importance.LOW, "|amount × rate − tax| allowed per line.")
      .define(INVOICE_TAX_TOLERANCE, Type.STRING, "1.27", Importance.LOW, "|Σ(line tax − amount × rate)| allowed per invoice.")
      .define(TAX_RATES, Type.STRING, ValidationRules.DEFAULT_TAX_RATES, Importance.LOW, "Valid VAT rates, comma-separated decimals.")
      .define(MAX_ISSUE_AGE_YEARS, Type.INT, 5, Range.atLeast(1), Importance.LOW, "An issue date older than this many years is rejected.")
      .define(ZONE, Type.STRING, "Asia/Shanghai", Importance.LOW, "Time zone that defines 'today' for date rules.");

  private final ValidationRules validationRules;
  private final AuditKeys.SigningKey signingKey;

  public SyncStreamsConfig(Map<?, ?> originals) {
    super(DEF, originals, false);
    refuseGuardedOverrides();
    if (getBoolean(AUDIT_CHECKPOINTS_ENABLED) && getLong(AUDIT_CHECKPOINT_INTERVAL_MS) == 0) {
      throw new ConfigException(AUDIT_CHECKPOINT_INTERVAL_MS, 0L, "0 would take no audit checkpoints, so a deleted chain or a "
          + "truncated audit topic could not be detected; set " + AUDIT_CHECKPOINTS_ENABLED + "=false to say that is intended");
    }
    this.signingKey = signingKey();
    this.validationRules = new ValidationRules(decimal(LINE_AMOUNT_TOLERANCE), decimal(LINE_TAX_TOLERANCE), decimal(INVOICE_TAX_TOLERANCE),
        rates(), Period.ofYears(getInt(MAX_ISSUE_AGE_YEARS)));
    try {
      ZoneId.of(getString(ZONE));
    } catch (DateTimeException e) {
      throw new ConfigException(ZONE, getString(ZONE), "not a time zone id");
    }
  }

  /** The key that signs the audit (format v3), or null: unkeyed. */
  public AuditKeys.SigningKey auditSigningKey() {
    return signingKey;
  }

  /** How often checkpoints are taken; zero when they are off. */
  public Duration auditCheckpointInterval() {
    return getBoolean(AUDIT_CHECKPOINTS_ENABLED) ? Duration.ofMillis(getLong(AUDIT_CHECKPOINT_INTERVAL_MS)) : Duration.ZERO;
  }

  private AuditKeys.SigningKey signingKey() {
    Password secret = getPassword(AUDIT_SIGNING_KEY);
    String file = getString(AUDIT_SIGNING_KEY_FILE).trim();
    String ed25519 = getString(AUDIT_SIGNING_PRIVATE_KEY).trim();
    int given = (secret != null ? 1 : 0) + (file.isEmpty() ? 0 : 1) + (ed25519.isEmpty() ? 0 : 1);
    if (given == 0) {
      return null;
    }
    if (given > 1) {
      throw new ConfigException(AUDIT_SIGNING_KEY, "(hidden)", "give one of " + AUDIT_SIGNING_KEY + ", " + AUDIT_SIGNING_KEY_FILE + " and "
          + AUDIT_SIGNING_PRIVATE_KEY + ", not several");
    }
    String id = getString(AUDIT_SIGNING_KEY_ID).trim();
    String key = secret != null ? AUDIT_SIGNING_KEY : file.isEmpty() ? AUDIT_SIGNING_PRIVATE_KEY : AUDIT_SIGNING_KEY_FILE;
    boolean inlinePem = ed25519.startsWith("-----BEGIN");
    Path path = secret != null || inlinePem ? null : Path.of(file.isEmpty() ? ed25519 : file);
    if (id.isEmpty()) {
      if (path == null) {
        throw new ConfigException(AUDIT_SIGNING_KEY_ID, "", "is required with " + key + " (every entry names its key, so keys can rotate)");
      }
      id = AuditKeys.defaultId(path);
    }
    try {
      if (secret != null) {
        return AuditKeys.hmac(id, secret.value().getBytes(StandardCharsets.UTF_8));
      }
      if (!file.isEmpty()) {
        return AuditKeys.hmac(id, Files.readAllBytes(path));
      }
      return AuditKeys.ed25519(id, inlinePem ? ed25519 : Files.readString(path, StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new ConfigException(key, path.toString(), "cannot be read: " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, "(hidden)", e.getMessage());
    }
  }

  private BigDecimal decimal(String key) {
    try {
      BigDecimal d = new BigDecimal(getString(key).trim());
      if (d.signum() < 0) {
        throw new ConfigException(key, getString(key), "must not be negative");
      }
      return d;
    } catch (NumberFormatException e) {
      throw new ConfigException(key, getString(key), "not a decimal number");
    }
  }

  private Set<BigDecimal> rates() {
    try {
      return ValidationRules.parseRates(getString(TAX_RATES));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(TAX_RATES, getString(TAX_RATES), e.getMessage());
    }
  }

  public String redLedgerTopic() {
    String t = getString(RED_LEDGER_TOPIC);
    return t.isBlank() ? getString(APPLICATION_ID) + "-red-ledger" : t;
  }

  public String redVerdictTopic() {
    String t = getString(RED_VERDICT_TOPIC);
    return t.isBlank() ? getString(APPLICATION_ID) + "-red-verdicts" : t;
  }

  /** The deployment's topics under the names configured here (ARCHITECTURE.md, "Topics"). */
  public TopicPlan topicPlan() {
    return TopicPlan.defaults()
        .named(Topics.CAPTURED, getString(CAPTURED_TOPIC))
        .named(Topics.IMPORTED, getString(IMPORTED_TOPIC))
        .named(Topics.SYNCED, getString(SYNCED_TOPIC))
        .named(Topics.REJECTED, getString(REJECTED_TOPIC))
        .named(Topics.AUDIT, getString(AUDIT_TOPIC))
        .named(Topics.AUDIT_CHECKPOINTS, getString(AUDIT_CHECKPOINTS_TOPIC))
        .named(Topics.CAPTURED_DLT, getString(CAPTURED_DLT_TOPIC))
        .named(Topics.PROJECTION, getString(PROJECTION_TOPIC))
        .named(Topics.RED_LEDGER, redLedgerTopic())
        .named(Topics.RED_VERDICTS, redVerdictTopic());
  }

  /** A copy of the definition: a caller cannot change what this class validates. */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }

  public ValidationRules validationRules() {
    return validationRules;
  }

  public ZoneId zone() {
    return ZoneId.of(getString(ZONE));
  }

  /**
   * Overrides under {@value #STREAMS_PREFIX} that would break a guarantee, with the only value they
   * may have (as Kafka's own StreamsConfig refuses a consumer isolation level under exactly-once):
   * exactly-once processing (the audit chain, deduplication state and outputs commit together),
   * read_committed input, idempotent acks=all output. {@code application.id} and
   * {@code bootstrap.servers} have their own keys.
   */
  static final Map<String, String> GUARDED = Map.of(
      StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2,
      StreamsConfig.consumerPrefix("isolation.level"), "read_committed",
      StreamsConfig.producerPrefix("enable.idempotence"), "true",
      StreamsConfig.producerPrefix("acks"), "all");

  private void refuseGuardedOverrides() {
    for (Map.Entry<String, Object> e : originalsWithPrefix(STREAMS_PREFIX).entrySet()) {
      String key = e.getKey();
      String value = String.valueOf(e.getValue());
      if (key.equals(StreamsConfig.APPLICATION_ID_CONFIG) || key.equals(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)) {
        throw new ConfigException(STREAMS_PREFIX + key, value, "set '" + (key.equals(StreamsConfig.APPLICATION_ID_CONFIG) ? APPLICATION_ID
            : BOOTSTRAP_SERVERS) + "' instead (the topic names and the other clients derive from it)");
      }
      String required = GUARDED.get(key);
      if (required != null && !required.equalsIgnoreCase(value.trim())) {
        throw new ConfigException(STREAMS_PREFIX + key, value, "cannot be overridden: invoice-sync needs " + required
            + " (exactly-once audit chain, deduplication and outputs)");
      }
    }
  }

  /** What an Admin client needs: bootstrap servers and the shared security settings. */
  public Map<String, Object> kafkaCommon() {
    return KafkaClients.common(getString(BOOTSTRAP_SERVERS), originals());
  }

  /** Kafka Streams properties: exactly_once_v2 always; the shared security settings (Streams hands them to every client); overrides under {@value #STREAMS_PREFIX}. */
  public Properties streamsProperties() {
    Properties p = new Properties();
    p.putAll(KafkaClients.security(originals()));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, getString(BOOTSTRAP_SERVERS));
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, getString(APPLICATION_ID));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, getString(STATE_DIR));
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, getInt(NUM_STREAM_THREADS));
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, getLong(COMMIT_INTERVAL_MS));
    p.put(StreamsConfig.producerPrefix("compression.type"), "lz4");
    p.put(StreamsConfig.producerPrefix("linger.ms"), 5);
    // an invoice of many lines is carried whole: its state, rejection and store entry (changelog) may be megabytes
    p.put(StreamsConfig.producerPrefix("max.request.size"), Topics.MAX_RECORD_BYTES);
    p.put(StreamsConfig.topicPrefix("max.message.bytes"), Integer.toString(Topics.MAX_RECORD_BYTES));
    // the restore consumer holds one fetch at a time per broker: tasks whose restoration begins while an earlier task's
    // empty fetch waits out the broker's fetch.max.wait.ms (500 ms) wait with it, a round per batch of tasks at start
    // (fetches with data return at once: a low wait costs only empty fetches while standbys or restorations run)
    p.put(StreamsConfig.restoreConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 50);
    if (!getString(INSTANCE_ID).isBlank()) {
      p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), getString(INSTANCE_ID));
    }
    originalsWithPrefix(STREAMS_PREFIX).forEach(p::put);
    return p;
  }
}
