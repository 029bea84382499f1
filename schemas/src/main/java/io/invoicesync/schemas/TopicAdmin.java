package io.invoicesync.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates the topics a component owns and reads partition counts, the one place that knows two
 * things about the admin API: creating is idempotent (a topic created meanwhile by another
 * instance is fine), and a topic created a moment ago may not be known to the broker yet
 * (metadata propagates after creation), which {@link #partitions} waits out.
 */
public final class TopicAdmin {

  private TopicAdmin() {
  }

  /**
   * Creates those of {@code topics} that do not exist, and returns once the broker answers for each in its metadata (a
   * consumer that subscribes right after, say Kafka Streams' first rebalance, would otherwise find a source topic missing
   * and fail its thread); never alters existing ones.
   */
  public static void createMissing(Admin admin, Collection<NewTopic> topics) {
    try {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> create = new ArrayList<>();
      for (NewTopic t : topics) {
        if (!existing.contains(t.name())) {
          create.add(t);
        }
      }
      for (var e : admin.createTopics(create).values().entrySet()) {
        try {
          e.getValue().get();
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + e.getKey() + ": " + ex.getCause().getMessage(), ex.getCause());
          }
        }
      }
      for (NewTopic t : create) {
        partitions(admin, t.name()); // waits out the metadata's propagation
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot list topics: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * The contract's topics as {@link NewTopic}s, under their actual names ({@code names} maps
   * default names to deployed ones), with an explicit replication factor or the broker's default.
   */
  public static List<NewTopic> of(Collection<Topic<?>> topics, Map<String, String> names, Optional<Short> replicationFactor) {
    List<NewTopic> out = new ArrayList<>();
    for (Topic<?> t : topics) {
      out.add(new NewTopic(names.getOrDefault(t.name(), t.name()), Optional.of(t.partitions()), replicationFactor).configs(t.configs()));
    }
    return out;
  }

  /** Partition count of {@code topic}, waiting up to 30 s for a just-created topic's metadata. */
  public static int partitions(Admin admin, String topic) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long backoff = 50;
    try {
      while (true) {
        try {
          return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
            throw new IllegalStateException("cannot describe topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
          }
          Thread.sleep(backoff); // bounded retry of metadata propagation, doubling to 1 s
          backoff = Math.min(1000, backoff * 2);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
