package io.invoicesync.schemas;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a deployment's topics are derived: each topic of {@link Topics} under its
 * deployed name, with its partition count (a co-partitioned topic takes its partner's actual count,
 * {@link Topics#CO_PARTITIONED}), replication factor, cleanup policy and retention. Every component
 * calls {@link #ensure} at start for the topics it writes or co-reads: missing ones are created,
 * existing ones are checked, and a mismatch that would break a guarantee fails start-up with a
 * message naming the topic, what it has and what it needs:
 *
 * <ul>
 *   <li>a co-partitioned topic whose partition count differs from its partner's (per-invoice order
 *       and parking would silently break);</li>
 *   <li>a different {@code cleanup.policy} (compaction would drop an invoice's older states, which
 *       replay and audit rely on);</li>
 *   <li>a finite retention where the plan keeps forever (the audit chain, its checkpoints and the
 *       replay log must stay verifiable).</li>
 * </ul>
 * Other retention differences are an operator's choice and only logged.
 */
public final class TopicPlan {

  private static final Logger log = LoggerFactory.getLogger(TopicPlan.class);

  private final Map<Topic<?>, String> names;
  private final Optional<Short> replicationFactor;

  private TopicPlan(Map<Topic<?>, String> names, Optional<Short> replicationFactor) {
    this.names = Map.copyOf(names);
    this.replicationFactor = replicationFactor;
  }

  /** Every topic under its default name, with the broker's default replication factor. */
  public static TopicPlan defaults() {
    return new TopicPlan(Map.of(), Optional.empty());
  }

  /** This plan with {@code topic} deployed as {@code name} (a blank name keeps the default). */
  public TopicPlan named(Topic<?> topic, String name) {
    if (name == null || name.isBlank()) {
      return this;
    }
    Map<Topic<?>, String> n = new HashMap<>(names);
    n.put(topic, name);
    return new TopicPlan(n, replicationFactor);
  }

  /** This plan with an explicit replication factor (a negative value keeps the broker's default). */
  public TopicPlan replicationFactor(short rf) {
    return new TopicPlan(names, rf < 0 ? Optional.empty() : Optional.of(rf));
  }

  /** The deployed name of {@code topic}. */
  public String name(Topic<?> topic) {
    return names.getOrDefault(topic, topic.name());
  }

  /**
   * Creates the missing ones of {@code topics} (partners first, so a co-partitioned topic takes its
   * partner's count) and checks every one of them.
   *
   * @throws IllegalStateException naming the topic when an existing one does not match the plan
   */
  public void ensure(Admin admin, Collection<Topic<?>> topics) {
    Set<Topic<?>> ordered = new LinkedHashSet<>();
    for (Topic<?> t : topics) {
      Topic<?> partner = Topics.CO_PARTITIONED.get(t);
      if (partner != null && topics.contains(partner)) {
        ordered.add(partner);
      }
      ordered.add(t);
    }
    try {
      Set<String> existing = admin.listTopics().names().get();
      for (Topic<?> t : ordered) {
        if (!existing.contains(name(t))) {
          int partitions = t.partitions();
          Topic<?> partner = Topics.CO_PARTITIONED.get(t);
          if (partner != null) {
            partitions = TopicAdmin.partitions(admin, name(partner));
          }
          TopicAdmin.createMissing(admin, List.of(new NewTopic(name(t), Optional.of(partitions), replicationFactor).configs(t.configs())));
          existing = new LinkedHashSet<>(existing);
          existing.add(name(t));
        }
      }
      List<String> problems = check(admin, ordered);
      if (!problems.isEmpty()) {
        throw new IllegalStateException("topics do not match what invoice-sync needs: " + String.join("; ", problems));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot list topics: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** What is wrong with the existing ones of {@code topics}, one sentence per problem; empty when they match the plan. */
  public List<String> check(Admin admin, Collection<Topic<?>> topics) throws InterruptedException, ExecutionException {
    Set<String> existing = admin.listTopics().names().get();
    Set<String> wanted = new LinkedHashSet<>();
    for (Topic<?> t : topics) {
      wanted.add(name(t));
      Topic<?> partner = Topics.CO_PARTITIONED.get(t);
      if (partner != null) {
        wanted.add(name(partner));
      }
    }
    wanted.retainAll(existing);
    Map<String, TopicDescription> described = wanted.isEmpty() ? Map.of() : admin.describeTopics(wanted).allTopicNames().get();
    List<ConfigResource> resources = new ArrayList<>();
    for (String n : wanted) {
      resources.add(new ConfigResource(ConfigResource.Type.TOPIC, n));
    }
    Map<ConfigResource, Config> configs = resources.isEmpty() ? Map.of() : admin.describeConfigs(resources).all().get();
    List<String> problems = new ArrayList<>();
    for (Topic<?> t : topics) {
      String n = name(t);
      TopicDescription d = described.get(n);
      if (d == null) {
        continue;
      }
      Topic<?> partner = Topics.CO_PARTITIONED.get(t);
      TopicDescription pd = partner == null ? null : described.get(name(partner));
      if (pd != null && pd.partitions().size() != d.partitions().size()) {
        problems.add("topic " + n + " has " + d.partitions().size() + " partitions but " + name(partner) + " has " + pd.partitions().size()
            + "; they must be co-partitioned (same count): recreate " + n + " with " + pd.partitions().size() + " partitions");
      }
      Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, n));
      if (c == null) {
        continue;
      }
      String policy = value(c, "cleanup.policy");
      String wantedPolicy = t.configs().get("cleanup.policy");
      if (wantedPolicy != null && policy != null && !policy.equals(wantedPolicy)) {
        problems.add("topic " + n + " has cleanup.policy=" + policy + " but invoice-sync needs " + wantedPolicy + " (" + t.purpose() + ")");
      }
      String retention = value(c, "retention.ms");
      String wantedRetention = t.configs().get("retention.ms");
      if ("-1".equals(wantedRetention) && retention != null && !"-1".equals(retention)) {
        problems.add("topic " + n + " has retention.ms=" + retention + " but must be kept forever (retention.ms=-1): " + t.purpose());
      } else if (wantedRetention != null && retention != null && !retention.equals(wantedRetention)) {
        log.info("topic {} has retention.ms={} (invoice-sync creates it with {})", n, retention, wantedRetention);
      }
      String maxBytes = value(c, "max.message.bytes");
      String wantedMax = t.configs().get("max.message.bytes");
      if (wantedMax != null && maxBytes != null && Long.parseLong(maxBytes) < Long.parseLong(wantedMax)) {
        log.warn("topic {} takes records of at most max.message.bytes={}; invoice-sync creates it with {} so that invoices with many "
            + "lines are carried whole: a larger record stops the component writing it. Raise it: kafka-configs --alter --entity-type "
            + "topics --entity-name {} --add-config max.message.bytes={}", n, maxBytes, wantedMax, n, wantedMax);
      }
    }
    return problems;
  }

  private static String value(Config c, String key) {
    ConfigEntry e = c.get(key);
    return e == null ? null : e.value();
  }
}
