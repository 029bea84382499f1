package io.invoicesync.cli.config;

import io.apicurio.registry.resolver.config.SchemaResolverConfig;
import io.invoicesync.api.QueryApiConfig;
import io.invoicesync.cli.internal.LogSetup;
import io.invoicesync.cli.management.ManagementConfig;
import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.outcomes.reconcile.ReconcileConfig;
import io.invoicesync.projector.ProjectorConfig;
import io.invoicesync.webhooks.WebhooksConfig;
import io.invoicesync.schemas.KafkaClients;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.streams.SyncStreamsConfig;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.apache.commons.text.similarity.LevenshteinDistance;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Every key a deployment's configuration may hold, from the components' own {@link ConfigDef}s,
 * and the pass-through prefixes whose keys go to a library (Kafka clients, Debezium) with what
 * each accepts. The one place {@code run}, the operator commands and {@code config-template} learn
 * which keys exist: a key that is neither known nor under a pass-through prefix is a mistake, and
 * the error names the closest known key.
 */
public final class ConfigCatalog {

  /** Keys every component reads, without a prefix. */
  public static final Map<String, String> SHARED = sharedKeys();

  /**
   * A prefix whose keys are passed on to a library.
   *
   * @param prefix  the full prefix as written in the file ({@code "projector.consumer."})
   * @param target  what receives the keys, for docs and errors
   * @param accepts which keys (prefix removed) the library knows
   */
  public record PassThrough(String prefix, String target, Predicate<String> accepts) {
  }

  /** The pass-through prefixes, in the order config-template lists them. */
  public static final List<PassThrough> PASS_THROUGH = List.of(
      new PassThrough("security.protocol / sasl.* / ssl.*", "every Kafka client of every component (the cluster's security settings, shared)",
          k -> false),
      new PassThrough("config.providers.", "Kafka's config providers resolving ${provider:path:key} in any value (env, file, directory)", k -> true),
      new PassThrough(SerdeFactory.APICURIO_PREFIX, "the Apicurio serdes of every component and of the CLI, "
          + "as Apicurio names them (auth.username/password, auth.client.id/secret, tls.truststore.*, retry-count, auto-register, ...)",
          k -> ConfigCatalog.APICURIO_KEYS.contains(SerdeFactory.APICURIO_PREFIX + k)),
      new PassThrough("ingest." + IngestConfig.DEBEZIUM_PREFIX, "Debezium's PostgreSQL connector and engine (e.g. database.sslmode), "
          + "except what ingest relies on", k -> true),
      new PassThrough("ingest." + IngestConfig.PRODUCER_PREFIX, "ingest's Kafka producer (tuning; idempotence and acks are fixed)",
          ProducerConfig.configNames()::contains),
      new PassThrough("streams." + SyncStreamsConfig.STREAMS_PREFIX, "Kafka Streams and its clients (StreamsConfig keys, consumer./producer./"
          + "admin./main.consumer./restore.consumer./global.consumer./topic. prefixed client keys)", ConfigCatalog::streamsKey),
      new PassThrough("projector." + ProjectorConfig.CONSUMER_PREFIX, "the projector's and outcome recorder's Kafka consumers (tuning; group, "
          + "isolation and commits are fixed)", ConsumerConfig.configNames()::contains),
      new PassThrough("projector." + ProjectorConfig.PRODUCER_PREFIX, "the projector's Kafka producer to the retry and dead-letter topics "
          + "(tuning; idempotence and acks are fixed)", ProducerConfig.configNames()::contains),
      new PassThrough("webhooks." + WebhooksConfig.CONSUMER_PREFIX, "the webhook fan-out's Kafka consumer (tuning; group, isolation and "
          + "commits are fixed)", ConsumerConfig.configNames()::contains),
      new PassThrough("webhooks." + WebhooksConfig.ENDPOINT_PREFIX, "an operator's webhook endpoint named in webhooks.endpoints: "
          + "NAME.url, NAME.secret (whsec_...), NAME.events, NAME.seller, NAME.buyer, NAME.invoice.type",
          k -> k.matches("[A-Za-z0-9_-]{1,36}\\.(url|secret|events|seller|buyer|invoice\\.type)")));

  private ConfigCatalog() {
  }

  /** Apicurio's serde settings: the string constants of its SchemaResolverConfig (the URL has our own key). */
  static final Set<String> APICURIO_KEYS = apicurioKeys();

  private static Set<String> apicurioKeys() {
    Set<String> keys = new TreeSet<>();
    for (Field f : SchemaResolverConfig.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        try {
          String v = (String) f.get(null);
          if (v.startsWith(SerdeFactory.APICURIO_PREFIX)
              && !v.equals(SchemaResolverConfig.REGISTRY_URL)) {
            keys.add(v);
          }
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return keys;
  }

  /** The components' definitions by key prefix, as they read them (prefix removed). */
  public static Map<String, ConfigDef> components() {
    Map<String, ConfigDef> defs = new LinkedHashMap<>();
    defs.put("ingest", IngestConfig.configDef());
    defs.put("streams", SyncStreamsConfig.configDef());
    defs.put("projector", ProjectorConfig.configDef());
    defs.put("api", QueryApiConfig.configDef());
    defs.put("webhooks", WebhooksConfig.configDef());
    defs.put("reconcile", ReconcileConfig.configDef());
    defs.put("management", ManagementConfig.configDef());
    return defs;
  }

  /** Every key with a definition, full name. */
  public static Set<String> knownKeys() {
    return Known.KEYS;
  }

  /** Computed once, on first use (every key of a file is checked against it). */
  private static final class Known {
    static final Set<String> KEYS = compute();

    private static Set<String> compute() {
      Set<String> keys = new TreeSet<>(SHARED.keySet());
      components().forEach((prefix, def) -> def.names().forEach(n -> keys.add(prefix + "." + n)));
      return Collections.unmodifiableSet(keys);
    }
  }

  /** Whether {@code key} (full name, as written) is a key this deployment can use. */
  public static boolean accepts(String key) {
    if (SHARED.containsKey(key) || knownKeys().contains(key)) {
      return true;
    }
    if (key.startsWith("sources.")) { // sources.<name>.<ingest key>: an ingest key for one of several sources
      int dot = key.indexOf('.', "sources.".length());
      return dot > 0 && key.substring("sources.".length(), dot).matches("[a-z][a-z0-9_-]{0,31}")
          && !key.substring(dot + 1).equals("source.name") && accepts("ingest." + key.substring(dot + 1));
    }
    if (KafkaClients.isSecurityKey(key)) {
      return ProducerConfig.configNames().contains(key);
    }
    if (key.equals(AbstractConfig.CONFIG_PROVIDERS_CONFIG) || key.startsWith(AbstractConfig.CONFIG_PROVIDERS_CONFIG + ".")) {
      return true;
    }
    for (PassThrough p : PASS_THROUGH) {
      if (key.startsWith(p.prefix()) && p.accepts().test(key.substring(p.prefix().length()))) {
        return true;
      }
    }
    return false;
  }

  /** The pass-through prefix {@code key} falls under, if any (even when the library does not know the rest). */
  public static Optional<PassThrough> passThroughOf(String key) {
    return PASS_THROUGH.stream().filter(p -> key.startsWith(p.prefix())).findFirst();
  }

  /** The known key closest to {@code key} (edit distance), when one is close enough to be a likely misspelling. */
  public static Optional<String> closest(String key) {
    LevenshteinDistance distance = LevenshteinDistance.getDefaultInstance();
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    List<String> candidates = new ArrayList<>(knownKeys());
    ProducerConfig.configNames().stream().filter(KafkaClients::isSecurityKey).forEach(candidates::add);
    passThroughOf(key).ifPresent(p -> candidates.addAll(passThroughCandidates(p)));
    for (String k : candidates) {
      int d = distance.apply(key.toLowerCase(Locale.ROOT), k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best != null && bestDistance <= Math.max(2, key.length() / 4) ? Optional.of(best) : Optional.empty();
  }

  private static List<String> passThroughCandidates(PassThrough p) {
    if (p.prefix().equals(SerdeFactory.APICURIO_PREFIX)) {
      return List.copyOf(APICURIO_KEYS);
    }
    Set<String> names = p.prefix().endsWith("consumer.") ? ConsumerConfig.configNames()
        : p.prefix().endsWith("producer.") ? ProducerConfig.configNames()
        : p.prefix().startsWith("streams.") ? StreamsConfig.configDef().names() : Set.of();
    return names.stream().map(n -> p.prefix() + n).toList();
  }

  /** A Kafka Streams override: a StreamsConfig key, a client key (Streams hands it to the client), or one under a client prefix. */
  static boolean streamsKey(String key) {
    if (StreamsConfig.configDef().names().contains(key) || ConsumerConfig.configNames().contains(key)
        || ProducerConfig.configNames().contains(key) || AdminClientConfig.configNames().contains(key)) {
      return true;
    }
    if (key.startsWith(StreamsConfig.TOPIC_PREFIX)) {
      return true;
    }
    for (String consumer : List.of(StreamsConfig.MAIN_CONSUMER_PREFIX, StreamsConfig.RESTORE_CONSUMER_PREFIX, StreamsConfig.GLOBAL_CONSUMER_PREFIX,
        StreamsConfig.CONSUMER_PREFIX)) {
      if (key.startsWith(consumer)) {
        return ConsumerConfig.configNames().contains(key.substring(consumer.length()));
      }
    }
    if (key.startsWith(StreamsConfig.PRODUCER_PREFIX)) {
      return ProducerConfig.configNames().contains(key.substring(StreamsConfig.PRODUCER_PREFIX.length()));
    }
    if (key.startsWith(StreamsConfig.ADMIN_CLIENT_PREFIX)) {
      return AdminClientConfig.configNames().contains(key.substring(StreamsConfig.ADMIN_CLIENT_PREFIX.length()));
    }
    return false;
  }

  private static Map<String, String> sharedKeys() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("bootstrap.servers", "Kafka bootstrap servers (shared).");
    m.put("schema.registry.url", "Apicurio Registry core API v3 URL (shared). Empty = registry-less: schemas resolve from the built-in catalog.");
    m.put("sources", "Several issuing databases feeding one store, named, comma-separated (e.g. legacy,platform): each runs its own "
        + "Debezium engine with the ingest.* keys, overridden by its block sources.<name>.* (any ingest key: database.*, mapping.file, "
        + "slot.name, ...); engine.name, topic.prefix, slot.name and publication.name get the source's name appended unless its block "
        + "sets them. "
        + "The name is part of every position, audit entry and trace; 'reconcile --source NAME'. Empty = one source, ingest.*.");
    m.put("topics.replication.factor", "Replication factor of the topics invoice-sync creates; -1 = the broker's default.");
    m.put(LogSetup.FORMAT, "Log format of 'run': text, or json (one object per line with MDC fields: component, "
        + "invoice, topic, partition, offset).");
    m.put(LogSetup.FILE, "Log file of 'run'; empty = stdout (as container platforms collect it).");
    m.put(AbstractConfig.CONFIG_PROVIDERS_CONFIG, "Kafka config providers for secrets in any value, e.g. 'env,file' with config.providers.env.class="
        + "org.apache.kafka.common.config.provider.EnvVarConfigProvider and config.providers.file.class="
        + "org.apache.kafka.common.config.provider.FileConfigProvider, then ${env:NAME} or ${file:/path/secret.properties:key}.");
    return m;
  }
}
