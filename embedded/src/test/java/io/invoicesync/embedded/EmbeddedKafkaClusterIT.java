package io.invoicesync.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The chaos suite's 3-node cluster: replicated by default, and still taking acks=all writes with one node gone. */
@Timeout(180)
class EmbeddedKafkaClusterIT {

  @TempDir
  Path dir;

  @Test
  void shouldKeepTakingWritesWhenOneOfThreeNodesIsLostAndTakeItBack() throws Exception {
    try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.start(dir, 3);
         Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()));
         KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrapServers(), "acks", "all",
             "delivery.timeout.ms", 60_000, "request.timeout.ms", 10_000), new StringSerializer(), new StringSerializer())) {
      admin.createTopics(List.of(new NewTopic("t", 1, (short) -1))).all().get(30, TimeUnit.SECONDS);
      TopicDescription t = admin.describeTopics(List.of("t")).allTopicNames().get().get("t");
      assertThat(t.partitions().get(0).replicas()).as("default replication factor").hasSize(3);
      assertThat(admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
          org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "t"))).all().get().values().iterator().next()
          .get("min.insync.replicas").value()).isEqualTo("2");
      producer.send(new ProducerRecord<>("t", "k", "before")).get(30, TimeUnit.SECONDS);

      cluster.stopNode(1);
      producer.send(new ProducerRecord<>("t", "k", "with two")).get(60, TimeUnit.SECONDS);

      cluster.startNode(1);
      cluster.awaitBrokers(3);
      producer.send(new ProducerRecord<>("t", "k", "after")).get(30, TimeUnit.SECONDS);
    }
  }
}
