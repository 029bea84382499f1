package io.invoicesync.schemas;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * What every Kafka client of every component is given besides its own settings: the cluster's
 * security settings ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}), written once at the
 * top of a deployment's configuration and passed to each component unchanged, as Kafka Connect
 * passes a worker's to its clients; and per-client tuning under a prefix ({@code producer.},
 * {@code consumer.}), checked against the client's own configuration names and against the
 * settings a component's guarantees rest on.
 */
public final class KafkaClients {

  private KafkaClients() {
  }

  /** True for a key of the shared security settings. */
  public static boolean isSecurityKey(String key) {
    return key.equals(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG) || key.startsWith("sasl.") || key.startsWith("ssl.");
  }

  /** The shared security settings among {@code originals}, values as given (strings, or a config provider's resolution). */
  public static Map<String, Object> security(Map<String, ?> originals) {
    Map<String, Object> out = new HashMap<>();
    originals.forEach((k, v) -> {
      if (isSecurityKey(k) && v != null) {
        out.put(k, v instanceof Password p ? p.value() : v);
      }
    });
    return out;
  }

  /** bootstrap.servers and the shared security settings: what an Admin client needs. */
  public static Map<String, Object> common(String bootstrapServers, Map<String, ?> originals) {
    Map<String, Object> out = security(originals);
    out.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return out;
  }

  /**
   * Tuning overrides for one client ({@code originals} under {@code prefix}, prefix removed), after
   * checking each: it must be a configuration of that client ({@code clientConfigNames}), and must
   * not change a setting in {@code guarded} (the key, with the only value it may have; a null value
   * means the key cannot be set at all).
   *
   * @param component the component's key prefix, for messages ({@code "projector."})
   */
  public static Map<String, Object> overrides(Map<String, Object> originals, String component, String prefix, Set<String> clientConfigNames,
                                              Map<String, String> guarded) {
    Map<String, Object> out = new HashMap<>();
    originals.forEach((k, v) -> {
      if (!k.startsWith(prefix)) {
        return;
      }
      String key = k.substring(prefix.length());
      String written = component + k;
      if (!clientConfigNames.contains(key)) {
        throw new ConfigException(written, v, "not a configuration of the Kafka " + prefix.replace(".", "") + " client");
      }
      if (guarded.containsKey(key)) {
        String required = guarded.get(key);
        if (required == null) {
          throw new ConfigException(written, v, "cannot be overridden: invoice-sync sets it itself");
        }
        if (!required.equalsIgnoreCase(String.valueOf(v).trim())) {
          throw new ConfigException(written, v, "cannot be overridden: invoice-sync needs " + required);
        }
      }
      if (isSecurityKey(key)) {
        throw new ConfigException(written, v, "security settings are shared: set '" + key + "' without a prefix, for every client");
      }
      out.put(key, v);
    });
    return out;
  }

  /**
   * The guards of {@link #overrides} from pairs: key, the only value it may have, or null when
   * invoice-sync sets it itself.
   */
  public static Map<String, String> guarded(String... keyValues) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return Collections.unmodifiableMap(m);
  }

  /** Configuration names of the producer, for {@link #overrides}. */
  public static Set<String> producerConfigNames() {
    return ProducerConfig.configNames();
  }

  /** Configuration names of the consumer, for {@link #overrides}. */
  public static Set<String> consumerConfigNames() {
    return ConsumerConfig.configNames();
  }
}
