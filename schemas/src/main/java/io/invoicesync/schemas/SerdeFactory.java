package io.invoicesync.schemas;

import io.apicurio.registry.resolver.config.SchemaResolverConfig;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.apicurio.registry.serde.avro.AvroSerdeConfig;
import io.apicurio.registry.serde.config.SerdeConfig;
import io.invoicesync.schemas.internal.EmbeddedSchemaResolver;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Builds the serdes of the contract. Values are Avro in the Confluent wire format (magic byte 0,
 * 4-byte schema id, Avro binary), written and read by Apicurio Registry's serdes, so an ERP can
 * consume with Confluent's or Apicurio's deserializers.
 *
 * <p>Two modes:
 * <ul>
 *   <li><b>registry</b>: {@code registryUrl} set; schemas are registered in (and resolved from) an
 *       Apicurio Registry through its own client;</li>
 *   <li><b>registry-less</b> (the embedded default): {@code registryUrl} null; schemas are resolved
 *       from this module's catalog through Apicurio's {@code SchemaResolver} extension point, in
 *       memory. Ids are the catalog's content ids, stable across processes and releases.</li>
 * </ul>
 */
public final class SerdeFactory {

  /** Configuration key for the registry URL; unset or blank selects the registry-less mode. */
  public static final String REGISTRY_URL_CONFIG = "schema.registry.url";

  /** Prefix of Apicurio's own serde settings (auth, TLS, retries), passed through as written. */
  public static final String APICURIO_PREFIX = "apicurio.registry.";

  private final String registryUrl;
  private final Map<String, Object> registryOptions;

  private SerdeFactory(String registryUrl, Map<String, Object> registryOptions) {
    this.registryUrl = registryUrl == null || registryUrl.isBlank() ? null : registryUrl;
    this.registryOptions = Map.copyOf(registryOptions);
  }

  private SerdeFactory(String registryUrl) {
    this(registryUrl, Map.of());
  }

  /**
   * {@link #of(String)} with Apicurio's own settings for a registry that needs them: every key of
   * {@code originals} under {@value #APICURIO_PREFIX} (e.g. {@code apicurio.registry.auth.username},
   * {@code apicurio.registry.tls.truststore.location}), as Apicurio names them.
   */
  public static SerdeFactory of(String url, Map<String, ?> originals) {
    Map<String, Object> options = new HashMap<>();
    originals.forEach((k, v) -> {
      if (k.startsWith(APICURIO_PREFIX) && v != null && !k.equals(SchemaResolverConfig.REGISTRY_URL)) {
        options.put(k, v instanceof Password p ? p.value() : v);
      }
    });
    return new SerdeFactory(url, options);
  }

  /** Apicurio's settings this factory passes to every registry serde. */
  public Map<String, Object> registryOptions() {
    return registryOptions;
  }

  /** Registry-less serdes resolving from the built-in catalog. */
  public static SerdeFactory registryLess() {
    return new SerdeFactory(null);
  }

  /** Serdes backed by the Apicurio Registry at {@code url} (its core API v3 base, e.g. http://registry:8080/apis/registry/v3). */
  public static SerdeFactory registry(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException(REGISTRY_URL_CONFIG + " must not be blank in registry mode");
    }
    return new SerdeFactory(url);
  }

  /**
   * Whether {@code error} comes from a server that could not be reached (a {@code java.net}
   * exception anywhere in its causes: connection refused, timeout, unknown host), as opposed to a
   * record that cannot be decoded. A schema registry outage is an outage: what fails to decode
   * meanwhile is retried, never dead-lettered.
   */
  public static boolean unreachable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getClass().getPackageName().startsWith("java.net")) {
        return true;
      }
    }
    return false;
  }

  /** {@link #registry(String)} when {@code url} is set, else {@link #registryLess()}. */
  public static SerdeFactory of(String url) {
    return new SerdeFactory(url);
  }

  public boolean usesRegistry() {
    return registryUrl != null;
  }

  public String registryUrl() {
    return registryUrl;
  }

  public Serde<String> keySerde() {
    return Serdes.String();
  }

  /** A configured value serde for one of the contract's record types. */
  public <V extends SpecificRecord> Serde<V> valueSerde(Class<V> type) {
    Map<String, Object> config = new HashMap<>();
    config.put(AvroSerdeConfig.USE_SPECIFIC_AVRO_READER, true);
    config.put(SerdeConfig.DESERIALIZER_SPECIFIC_VALUE_RETURN_CLASS, type.getName());
    AvroKafkaSerializer<V> serializer;
    AvroKafkaDeserializer<V> deserializer;
    if (registryUrl != null) {
      config.put(SchemaResolverConfig.AUTO_REGISTER_ARTIFACT, true);
      config.putAll(registryOptions); // auth, TLS, retries; auto-registration can be turned off
      config.put(SchemaResolverConfig.REGISTRY_URL, registryUrl);
      serializer = new AvroKafkaSerializer<>();
      deserializer = new AvroKafkaDeserializer<>();
    } else {
      serializer = new AvroKafkaSerializer<>(new EmbeddedSchemaResolver<>());
      deserializer = new AvroKafkaDeserializer<>(new EmbeddedSchemaResolver<>());
    }
    serializer.configure(config, false);
    deserializer.configure(config, false);
    return Serdes.serdeFrom(serializer, deserializer);
  }
}
