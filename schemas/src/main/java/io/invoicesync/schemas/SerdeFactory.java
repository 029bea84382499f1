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

  private final String registryUrl;

  private SerdeFactory(String registryUrl) {
    this.registryUrl = registryUrl == null || registryUrl.isBlank() ? null : registryUrl;
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
      config.put(SchemaResolverConfig.REGISTRY_URL, registryUrl);
      config.put(SchemaResolverConfig.AUTO_REGISTER_ARTIFACT, true);
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
