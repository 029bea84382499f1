package io.invoicesync.cli.internal;

import io.invoicesync.schemas.Topic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the contract's topics that do not exist yet, with their partitions and configs; never alters existing ones. */
public final class TopicProvisioner {

  private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);

  private TopicProvisioner() {
  }

  /**
   * @param names actual topic names by default name (deployments may rename topics)
   * @param replicationFactor -1 for the broker's default
   */
  public static void ensure(String bootstrap, List<Topic<?>> topics, Map<String, String> names, short replicationFactor) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> create = new ArrayList<>();
      for (Topic<?> t : topics) {
        String name = names.getOrDefault(t.name(), t.name());
        if (!existing.contains(name)) {
          create.add(new NewTopic(name, java.util.Optional.of(t.partitions()),
              replicationFactor < 0 ? java.util.Optional.empty() : java.util.Optional.of(replicationFactor)).configs(t.configs()));
        }
      }
      if (create.isEmpty()) {
        return;
      }
      admin.createTopics(create).values().forEach((name, f) -> {
        try {
          f.get(30, TimeUnit.SECONDS);
          log.info("created topic {}", name);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause().getMessage(), e.getCause());
          }
        } catch (Exception e) {
          throw new IllegalStateException("cannot create topic " + name + ": " + e.getMessage(), e);
        }
      });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot list topics at " + bootstrap + ": " + e.getMessage(), e);
    }
  }
}
