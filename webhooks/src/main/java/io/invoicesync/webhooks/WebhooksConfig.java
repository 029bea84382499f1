package io.invoicesync.webhooks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.invoicesync.schemas.KafkaClients;
import io.invoicesync.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Configuration of the webhooks component ({@code webhooks.*} in a run's properties, prefix removed);
 * validated at start-up, every key documented with its default. Endpoints come from the API
 * ({@code POST /api/v1/webhooks/endpoints}) or, for operators, from {@code endpoints} and
 * {@code endpoint.NAME.*} here.
 */
public final class WebhooksConfig extends AbstractConfig {

  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
  public static final String GROUP_ID = "group.id";
  public static final String PROJECTION_TOPIC = "topic.projection";
  public static final String REJECTED_TOPIC = "topic.rejected";
  public static final String JDBC_URL = "jdbc.url";
  public static final String JDBC_USER = "jdbc.user";
  public static final String JDBC_PASSWORD = "jdbc.password";
  public static final String RETRY_SCHEDULE = "retry.schedule";
  public static final String RETRY_JITTER = "retry.jitter";
  public static final String ATTEMPT_TIMEOUT_MS = "attempt.timeout.ms";
  public static final String CONNECT_TIMEOUT_MS = "connect.timeout.ms";
  public static final String MAX_IN_FLIGHT = "max.in.flight";
  public static final String MAX_IN_FLIGHT_PER_ENDPOINT = "max.in.flight.per.endpoint";
  public static final String POLL_INTERVAL_MS = "poll.interval.ms";
  public static final String DISABLE_AFTER_MS = "disable.after.ms";
  public static final String ROTATION_OVERLAP_MS = "secret.rotation.overlap.ms";
  public static final String RETRY_AFTER_MAX_MS = "retry.after.max.ms";
  public static final String ALLOW_HTTP = "allow.http";
  public static final String ALLOW_PRIVATE = "allow.private.addresses";
  public static final String BACKOFF_INITIAL_MS = "outage.backoff.initial.ms";
  public static final String BACKOFF_MAX_MS = "outage.backoff.max.ms";
  public static final String STALL_THRESHOLD_MS = "stall.threshold.ms";
  public static final String STALL_CHECK_INTERVAL_MS = "stall.check.interval.ms";
  public static final String STALL_WATCH = "stall.watch";
  public static final String INSTANCE_ID = "instance.id";
  public static final String RETENTION_MS = "retention.ms";
  public static final String RETENTION_CHECK_INTERVAL_MS = "retention.check.interval.ms";
  public static final String ENDPOINTS = "endpoints";
  /** {@code endpoint.NAME.url}, {@code .secret}, {@code .events}, {@code .seller}, {@code .buyer}, {@code .invoice.type}. */
  public static final String ENDPOINT_PREFIX = "endpoint.";
  /** Tuning of the fan-out's consumer, passed to Kafka after the guards. */
  public static final String CONSUMER_PREFIX = "consumer.";

  static final Map<String, String> CONSUMER_GUARDED = KafkaClients.guarded(
      ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
      ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
      ConsumerConfig.GROUP_ID_CONFIG, null,
      ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, null,
      ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, null,
      ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, null,
      ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, null);

  /** Svix's schedule: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failure. */
  public static final String DEFAULT_SCHEDULE = "0s,5s,5m,30m,2h,5h,10h,10h";

  private static final ConfigDef DEF = new ConfigDef()
      .define(BOOTSTRAP_SERVERS, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH, "Kafka bootstrap servers.")
      .define(SCHEMA_REGISTRY_URL, Type.STRING, "", Importance.HIGH, "Apicurio Registry URL; empty = registry-less (built-in schema catalog).")
      .define(GROUP_ID, Type.STRING, "invoice-sync-webhooks", Importance.HIGH,
          "Consumer group of the fan-out (the projector's reports and the rejections into messages); instances share the partitions.")
      .define(PROJECTION_TOPIC, Type.STRING, Topics.PROJECTION.name(), Importance.MEDIUM,
          "Input: the projector's reports (PROJECTED: invoice.visible; DEAD_LETTERED: invoice.dead_lettered).")
      .define(REJECTED_TOPIC, Type.STRING, Topics.REJECTED.name(), Importance.MEDIUM, "Input: rejections (invoice.rejected).")
      .define(JDBC_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
          "The query store: endpoints, messages and attempts live there (V10 migration), and invoice.visible bodies are read from it. "
              + "'run' and 'demo' take projector.jdbc.* (else api.jdbc.*) when it is not set.")
      .define(JDBC_USER, Type.STRING, "postgres", Importance.HIGH, "Query store user (needs to write the webhook tables).")
      .define(JDBC_PASSWORD, Type.PASSWORD, "", Importance.HIGH, "Query store password.")
      .define(RETRY_SCHEDULE, Type.LIST, DEFAULT_SCHEDULE, Importance.MEDIUM,
          "Delay before each attempt, the first usually 0s (units ms, s, m, h, d); a message still failing after the last is FAILED "
              + "(resend or recover sends it again).")
      .define(RETRY_JITTER, Type.DOUBLE, 0.2, ConfigDef.Range.between(0.0, 1.0), Importance.LOW,
          "Each delay is spread by up to this fraction either way, so endpoints coming back are not hit by every retry at once.")
      .define(ATTEMPT_TIMEOUT_MS, Type.LONG, 15_000L, Range.atLeast(100), Importance.MEDIUM,
          "An attempt that has no response after this long fails (and is retried).")
      .define(CONNECT_TIMEOUT_MS, Type.LONG, 5_000L, Range.atLeast(100), Importance.LOW, "TCP/TLS connect timeout of an attempt.")
      .define(MAX_IN_FLIGHT, Type.INT, 64, Range.atLeast(1), Importance.LOW, "Attempts in flight at once, all endpoints together, per instance.")
      .define(MAX_IN_FLIGHT_PER_ENDPOINT, Type.INT, 16, Range.atLeast(1), Importance.LOW,
          "Attempts in flight at once to one endpoint (each for another invoice: one per invoice), so a slow endpoint holds only its own.")
      .define(POLL_INTERVAL_MS, Type.LONG, 250L, Range.atLeast(10), Importance.LOW,
          "How often the dispatcher looks for due messages when nothing woke it (new messages wake it at once).")
      .define(DISABLE_AFTER_MS, Type.LONG, Duration.ofDays(5).toMillis(), Range.atLeast(0), Importance.MEDIUM,
          "An endpoint whose attempts have all failed for this long is disabled, and endpoint.disabled is sent; 0 = never.")
      .define(ROTATION_OVERLAP_MS, Type.LONG, Duration.ofHours(24).toMillis(), Range.atLeast(0), Importance.MEDIUM,
          "After a secret rotation, the previous secret signs too (a second v1 signature) for this long.")
      .define(RETRY_AFTER_MAX_MS, Type.LONG, Duration.ofHours(24).toMillis(), Range.atLeast(1000), Importance.LOW,
          "The longest Retry-After (429, 503) honoured; a longer one waits this long.")
      .define(ALLOW_HTTP, Type.BOOLEAN, false, Importance.HIGH,
          "Accept http:// endpoint URLs (the demo and tests on localhost); false = https only, as a signed body should travel.")
      .define(ALLOW_PRIVATE, Type.BOOLEAN, false, Importance.HIGH,
          "Accept endpoint URLs on this machine or a private network (loopback, 10/8, 172.16/12, 192.168/16, link-local, unique-local) "
              + "when a token registers them; false keeps a token's holder from probing the deployment's network. The operator's own "
              + "endpoints (webhooks.endpoints) may always be private.")
      .define(BACKOFF_INITIAL_MS, Type.LONG, 500L, Range.atLeast(1), Importance.LOW, "First wait while the query store is unreachable.")
      .define(BACKOFF_MAX_MS, Type.LONG, 30_000L, Range.atLeast(1), Importance.LOW, "Longest wait while the query store is unreachable.")
      .define(STALL_THRESHOLD_MS, Type.LONG, 60_000L, Range.atLeast(0), Importance.MEDIUM,
          "sync.stalled is sent when a watched stage's oldest unprocessed record has waited longer than this (or progress cannot be "
              + "measured for this long), sync.resumed when all are within it again; 0 = never.")
      .define(STALL_CHECK_INTERVAL_MS, Type.LONG, 5_000L, Range.atLeast(100), Importance.LOW, "How often the stages' progress is measured.")
      .define(STALL_WATCH, Type.LIST, Topics.CAPTURED.name() + ":invoice-sync-streams," + Topics.SYNCED.name() + ":invoice-sync-projector",
          Importance.LOW, "The stages watched for a stall, each as input-topic:consumer-group (sync-streams' application.id, the projector's "
              + "group.id); 'run' and 'demo' fill in the groups they run with.")
      .define(RETENTION_MS, Type.LONG, Duration.ofDays(30).toMillis(), Range.atLeast(0), Importance.MEDIUM,
          "Delivered and failed messages (with their attempts and bodies) and a feed's messages older than this are deleted; 'recover' "
              + "and a feed's reader reach back this far. Messages still waiting are kept whatever their age. 0 = keep everything.")
      .define(RETENTION_CHECK_INTERVAL_MS, Type.LONG, Duration.ofHours(1).toMillis(), Range.atLeast(1000), Importance.LOW,
          "How often messages past webhooks.retention.ms are deleted (in batches of 5,000).")
      .define(INSTANCE_ID, Type.STRING, "", Importance.LOW,
          "This instance's stable name (static membership of the fan-out's group; the owner of the messages it leases): restarted under "
              + "the same name, it takes its partitions back at once and sends again what it held when it died, instead of waiting for the "
              + "session and the leases to expire. Unique per running instance; empty = none.")
      .define(ENDPOINTS, Type.LIST, "", Importance.MEDIUM,
          "Endpoints an operator configures, by name (each with endpoint.NAME.url and endpoint.NAME.secret; optional endpoint.NAME.events, "
              + ".seller, .buyer, .invoice.type); they receive every taxpayer's invoices that match. Kept in the store as 'cfg_NAME' at start.");

  private final List<Duration> schedule;

  public WebhooksConfig(Map<?, ?> originals) {
    super(DEF, originals, false);
    this.schedule = parseSchedule(getList(RETRY_SCHEDULE));
    if (getLong(BACKOFF_MAX_MS) < getLong(BACKOFF_INITIAL_MS)) {
      throw new ConfigException(BACKOFF_MAX_MS, getLong(BACKOFF_MAX_MS), "must be >= " + BACKOFF_INITIAL_MS);
    }
    KafkaClients.overrides(castOriginals(), "webhooks.", CONSUMER_PREFIX, KafkaClients.consumerConfigNames(), CONSUMER_GUARDED);
    configuredEndpoints(); // names each missing or wrong key now, not at the first delivery
    for (String w : getList(STALL_WATCH)) {
      if (!w.matches("[^:]+:[^:]+")) {
        throw new ConfigException(STALL_WATCH, w, "each stage is input-topic:consumer-group");
      }
    }
  }

  /**
   * What the query API needs of the webhooks' settings to register endpoints, read from a run's flat
   * configuration ({@code webhooks.allow.http}, {@code webhooks.secret.rotation.overlap.ms}) with the
   * defaults defined here, so the API and the dispatcher never disagree.
   */
  public record ApiSettings(boolean allowHttp, boolean allowPrivate, Duration rotationOverlap) {
  }

  public static ApiSettings apiSettings(Map<String, String> runConfig) {
    return new ApiSettings((Boolean) value(runConfig, ALLOW_HTTP), (Boolean) value(runConfig, ALLOW_PRIVATE),
        Duration.ofMillis((Long) value(runConfig, ROTATION_OVERLAP_MS)));
  }

  private static Object value(Map<String, String> runConfig, String key) {
    ConfigDef.ConfigKey k = DEF.configKeys().get(key);
    String raw = runConfig.get("webhooks." + key);
    Object v = raw == null ? k.defaultValue : ConfigDef.parseType("webhooks." + key, raw, k.type);
    if (k.validator != null) {
      k.validator.ensureValid("webhooks." + key, v);
    }
    return v;
  }

  /** A copy of the definition (for the documented template). */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> castOriginals() {
    return (Map<String, Object>) (Map<String, ?>) originals();
  }

  /** The delay before each attempt, the first attempt's first. */
  public List<Duration> schedule() {
    return schedule;
  }

  static List<Duration> parseSchedule(List<String> values) {
    if (values.isEmpty()) {
      throw new ConfigException(RETRY_SCHEDULE, "", "needs at least one delay (the first attempt's, usually 0s)");
    }
    List<Duration> out = new ArrayList<>();
    for (String v : values) {
      out.add(parseDuration(RETRY_SCHEDULE, v.trim()));
    }
    return List.copyOf(out);
  }

  /** {@code 250ms}, {@code 5s}, {@code 5m}, {@code 2h}, {@code 1d}; a bare number is milliseconds. */
  static Duration parseDuration(String key, String v) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h|d)?").matcher(v);
    if (!m.matches()) {
      throw new ConfigException(key, v, "a delay is a whole number with a unit: ms, s, m, h or d (e.g. 5s, 30m)");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    return switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  /** An operator's endpoint from {@code endpoint.NAME.*}. */
  public record ConfiguredEndpoint(String name, String url, String secret, List<String> events, String seller, String buyer, String invoiceType) {

    /** Its id in the store. */
    public String id() {
      return "cfg_" + name;
    }
  }

  /** The endpoints {@code endpoints} names, each checked (URL scheme, secret format, event names). */
  public List<ConfiguredEndpoint> configuredEndpoints() {
    List<ConfiguredEndpoint> out = new ArrayList<>();
    for (String name : getList(ENDPOINTS)) {
      if (!name.matches("[A-Za-z0-9_-]{1,36}")) {
        throw new ConfigException(ENDPOINTS, name, "an endpoint name is 1-36 letters, digits, '-' or '_'");
      }
      String p = ENDPOINT_PREFIX + name + ".";
      String url = string(p + "url");
      if (url == null) {
        throw new ConfigException(p + "url", null, "endpoint '" + name + "' is listed in " + ENDPOINTS + " but has no URL");
      }
      try {
        Endpoints.checkUrl(url, getBoolean(ALLOW_HTTP), true); // the operator's own: an ERP on the internal network is fine
      } catch (IllegalArgumentException e) {
        throw new ConfigException(p + "url", url, e.getMessage());
      }
      String secret = string(p + "secret");
      try {
        Signatures.checkSecret(secret);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(p + "secret", "(hidden)", e.getMessage());
      }
      String events = string(p + "events");
      List<String> types = events == null ? List.of() : List.of(events.split("\\s*,\\s*"));
      try {
        Endpoints.eventTypes(types);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(p + "events", events, e.getMessage());
      }
      out.add(new ConfiguredEndpoint(name, url, secret, types, string(p + "seller"), string(p + "buyer"), string(p + "invoice.type")));
    }
    return out;
  }

  private String string(String key) {
    Object v = originals().get(key);
    if (v instanceof org.apache.kafka.common.config.types.Password pw) {
      return pw.value();
    }
    return v == null || v.toString().isBlank() ? null : v.toString().trim();
  }

  /** The fan-out's consumer: read_committed, offsets committed after the messages are stored, from the earliest on first start. */
  public Properties consumerProperties() {
    Properties p = new Properties();
    p.putAll(KafkaClients.common(getString(BOOTSTRAP_SERVERS), originals()));
    p.put(ConsumerConfig.GROUP_ID_CONFIG, getString(GROUP_ID));
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    if (!getString(INSTANCE_ID).isBlank()) {
      p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "webhooks-" + getString(INSTANCE_ID));
    }
    p.putAll(KafkaClients.overrides(castOriginals(), "webhooks.", CONSUMER_PREFIX, KafkaClients.consumerConfigNames(), CONSUMER_GUARDED));
    return p;
  }

  /** A writable pool on the query store that starts while it is down (the loops back off). */
  public HikariDataSource pool(String name, int size, MeterRegistry registry) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(getString(JDBC_URL));
    hc.setUsername(getString(JDBC_USER));
    hc.setPassword(getPassword(JDBC_PASSWORD).value());
    hc.setMaximumPoolSize(size);
    hc.setConnectionTimeout(2_000);
    hc.setInitializationFailTimeout(-1);
    hc.setPoolName(name);
    if (registry != null) {
      hc.setMetricRegistry(registry);
    }
    hc.addDataSourceProperty("logServerErrorDetail", "false"); // row values (buyer ids) stay out of exceptions and logs
    return new HikariDataSource(hc);
  }
}
