package io.invoicesync.embedded;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A Kafka cluster of several nodes in this JVM, each in KRaft combined mode (broker and controller,
 * a static quorum of all of them), on fixed ports so that a node stopped and started again comes back
 * at its address with its data. Every default replication factor is the node count, with
 * {@code min.insync.replicas} one less: with 3 nodes, RF=3 and min.insync.replicas=2, so the
 * cluster keeps taking writes when one node is lost.
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {

  private final Path dataDir;
  private final String clusterId = Uuid.randomUuid().toString();
  private final int[] brokerPorts;
  private final int[] controllerPorts;
  private final String voters;
  private final EmbeddedKafkaBroker[] nodes;

  private EmbeddedKafkaCluster(Path dataDir, int size) {
    this.dataDir = dataDir;
    this.brokerPorts = new int[size];
    this.controllerPorts = new int[size];
    List<String> v = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      brokerPorts[i] = EmbeddedKafkaBroker.freePort();
      controllerPorts[i] = EmbeddedKafkaBroker.freePort();
      v.add((i + 1) + "@localhost:" + controllerPorts[i]);
    }
    this.voters = String.join(",", v);
    this.nodes = new EmbeddedKafkaBroker[size];
  }

  /** Starts {@code size} nodes together (each waits for the quorum) and returns once every broker is registered. */
  public static EmbeddedKafkaCluster start(Path dataDir, int size) {
    EmbeddedKafkaCluster c = new EmbeddedKafkaCluster(dataDir, size);
    List<CompletableFuture<Void>> starts = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      int node = i;
      starts.add(CompletableFuture.runAsync(() -> c.startNode(node)));
    }
    CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).join();
    c.awaitBrokers(size);
    return c;
  }

  /** Node {@code i} (0-based) stopped: its broker and its controller leave the cluster. */
  public void stopNode(int i) {
    nodes[i].close();
    nodes[i] = null;
  }

  /** Node {@code i} started (again) on its data and ports; {@link #awaitBrokers} says when the cluster has it back. */
  public void startNode(int i) {
    nodes[i] = EmbeddedKafkaBroker.startNode(dataDir.resolve("node-" + (i + 1)), i + 1, brokerPorts[i], controllerPorts[i], voters,
        brokerPorts.length, clusterId, null);
  }

  /** Waits until {@code count} brokers are registered (after a restart: the node is back). */
  public void awaitBrokers(int count) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size() < count) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("Kafka cluster in " + dataDir + " has not " + count + " brokers after 120 s");
        }
        Thread.sleep(200); // the poll period of a registration that takes a few heartbeats
      }
    } catch (Exception e) {
      throw new IllegalStateException("Kafka cluster in " + dataDir + " not ready: " + e.getMessage(), e);
    }
  }

  public String bootstrapServers() {
    return Arrays.stream(brokerPorts).mapToObj(p -> "localhost:" + p).collect(Collectors.joining(","));
  }

  public int size() {
    return nodes.length;
  }

  /**
   * Every node at once: one after another, the last ones wait out their controlled-shutdown and
   * quorum timeouts (minutes) once the others, and with them the controller quorum, are gone.
   */
  @Override
  public void close() {
    List<CompletableFuture<Void>> stops = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) {
      EmbeddedKafkaBroker node = nodes[i];
      nodes[i] = null;
      if (node != null) {
        stops.add(CompletableFuture.runAsync(node::close));
      }
    }
    CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).join();
  }
}
