package io.invoicesync.schemas;

import java.util.Map;
import java.util.Objects;

/**
 * One topic of the contract: its default name, the type of its values and the topic-level
 * configuration it is created with. Keys are always the invoice id as a UTF-8 string.
 *
 * @param name       default name; deployments may rename topics, see each component's config
 * @param valueType  the Avro record class of the values, or {@code byte[].class} for dead-letter topics
 * @param partitions default partition count when invoice-sync creates the topic
 * @param configs    topic-level configs (cleanup.policy, retention.ms) the topic is created with
 * @param purpose    one line for operators
 */
public record Topic<V>(String name, Class<V> valueType, int partitions, Map<String, String> configs, String purpose) {

  public Topic {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(valueType, "valueType");
    if (name.isBlank()) {
      throw new IllegalArgumentException("topic name must not be blank");
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1 for topic " + name + ", was " + partitions);
    }
    configs = Map.copyOf(configs);
  }
}
