package io.invoicesync.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka cluster in this JVM, in KRaft combined mode (broker + controller), built
 * from Kafka's own server jars. Its logs live under {@code dataDir}: a second start on the same
 * directory keeps topics, committed offsets and transactional state. Ports are chosen free at each
 * start; {@link #bootstrapServers()} tells the current one.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final int NODE_ID = 1;

  private final KafkaRaftServer server;
  private final String bootstrap;
  private final String saslSslBootstrap;

  private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrap, String saslSslBootstrap) {
    this.server = server;
    this.bootstrap = bootstrap;
    this.saslSslBootstrap = saslSslBootstrap;
  }

  /**
   * A SASL_SSL listener beside the PLAINTEXT one, as a managed cluster (MSK, Confluent Cloud,
   * Strimzi) offers it: TLS with the server certificate in {@code keystore} (PKCS12), SCRAM-SHA-512
   * logins (users are created with the Admin API on the PLAINTEXT listener).
   */
  public record SaslSslListener(Path keystore, String keystorePassword) {
  }

  public static EmbeddedKafkaBroker start(Path dataDir) {
    return start(dataDir, 0);
  }

  /** As {@link #start(Path)}, the broker listening on {@code port} (0: any free port). */
  public static EmbeddedKafkaBroker start(Path dataDir, int port) {
    return start(dataDir, port, null);
  }

  /** As {@link #start(Path, int)}, with a SASL_SSL listener when {@code secured} is given. */
  public static EmbeddedKafkaBroker start(Path dataDir, int port, SaslSslListener secured) {
    int controllerPort = freePort();
    return startNode(dataDir, NODE_ID, port > 0 ? port : freePort(), controllerPort, NODE_ID + "@localhost:" + controllerPort, 1,
        Uuid.randomUuid().toString(), secured);
  }

  /**
   * One node of a KRaft cluster in combined mode: broker and controller, with the static quorum
   * {@code voters}; {@code replication} is every default replication factor (internal topics
   * included), with {@code min.insync.replicas} one less when it is above 1. {@code clusterId} is used
   * when the node's directory is formatted (its first start).
   */
  static EmbeddedKafkaBroker startNode(Path dataDir, int nodeId, int brokerPort, int controllerPort, String voters, int replication,
      String clusterId, SaslSslListener secured) {
    try {
      Path logDir = dataDir.resolve("logs").toAbsolutePath();
      Files.createDirectories(logDir);
      Properties p = new Properties();
      p.put("process.roles", "broker,controller");
      p.put("node.id", Integer.toString(nodeId));
      p.put("controller.quorum.voters", voters);
      int securedPort = secured == null ? 0 : freePort();
      String securedListener = secured == null ? "" : ",SASL_SSL://localhost:" + securedPort;
      p.put("listeners", "PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort + securedListener);
      p.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort + securedListener);
      p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT" + (secured == null ? "" : ",SASL_SSL:SASL_SSL"));
      if (secured != null) {
        p.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        p.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", "SCRAM-SHA-512");
        p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        p.put("listener.name.sasl_ssl.ssl.keystore.location", secured.keystore().toAbsolutePath().toString());
        p.put("listener.name.sasl_ssl.ssl.keystore.password", secured.keystorePassword());
        p.put("listener.name.sasl_ssl.ssl.key.password", secured.keystorePassword());
        p.put("listener.name.sasl_ssl.ssl.keystore.type", "PKCS12");
      }
      p.put("controller.listener.names", "CONTROLLER");
      p.put("inter.broker.listener.name", "PLAINTEXT");
      p.put("log.dirs", logDir.toString());
      p.put("num.partitions", "6");
      String rf = Integer.toString(replication);
      String minIsr = Integer.toString(Math.max(1, replication - 1));
      p.put("default.replication.factor", rf);
      p.put("min.insync.replicas", minIsr);
      p.put("offsets.topic.replication.factor", rf);
      p.put("offsets.topic.num.partitions", "5");
      p.put("transaction.state.log.replication.factor", rf);
      p.put("transaction.state.log.min.isr", minIsr);
      p.put("transaction.state.log.num.partitions", "5");
      p.put("share.coordinator.state.topic.replication.factor", rf);
      p.put("share.coordinator.state.topic.min.isr", minIsr);
      p.put("group.initial.rebalance.delay.ms", "0");
      p.put("auto.create.topics.enable", "false");
      p.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
      p.put("unclean.leader.election.enable", "false");
      // the log cleaner's offset map is a heap buffer allocated (and zeroed) when the broker starts: 128 MB by default, in the
      // demo's JVM beside the pipeline; 16 MB still dedupes ~700,000 keys per pass, far more than a demo's compacted topics hold
      p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
      KafkaConfig config = new KafkaConfig(p, false);

      if (!Files.exists(logDir.resolve("meta.properties"))) {
        new Formatter()
            .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
            .setNodeId(nodeId)
            .setClusterId(clusterId)
            .setDirectories(List.of(logDir.toString()))
            .setMetadataLogDirectory(logDir.toString())
            .setControllerListenerName("CONTROLLER")
            .setReleaseVersion(MetadataVersion.latestProduction())
            .setIgnoreFormatted(true)
            .run();
      }
      KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
      server.startup();
      EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, "localhost:" + brokerPort, secured == null ? null : "localhost:" + securedPort);
      if (replication == 1) {
        broker.awaitReady(); // a cluster's nodes are awaited together: one alone has no quorum
      }
      log.info("embedded Kafka broker {} at {} (data {})", nodeId, broker.bootstrap, dataDir);
      return broker;
    } catch (Exception e) {
      throw new IllegalStateException("cannot start embedded Kafka broker in " + dataDir + ": " + e.getMessage(), e);
    }
  }

  private void awaitReady() throws InterruptedException, ExecutionException, TimeoutException {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
      // a fresh broker creates __transaction_state and __consumer_offsets when a client first asks for a coordinator; that
      // client (a pipeline's first transactional producer, its first group) then waits out the creation with back-off, 0.5-1.5 s
      // on its way to the first invoice. Asked here, the broker's start makes them, beside whatever else is starting.
      expect(admin.describeTransactions(List.of(WARM_UP_ID)).all(), TransactionalIdNotFoundException.class);
      expect(admin.describeConsumerGroups(List.of(WARM_UP_ID)).all(), GroupIdNotFoundException.class);
    }
  }

  /** An id no client uses: asking for its coordinator makes the broker create the internal topic behind it. */
  static final String WARM_UP_ID = "invoice-sync-embedded-broker-start";

  /** Waits for a request that is expected to end in {@code expected} (or to succeed); anything else fails the start. */
  private static void expect(KafkaFuture<?> f, Class<? extends Exception> expected)
      throws InterruptedException, ExecutionException, TimeoutException {
    try {
      f.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!expected.isInstance(e.getCause())) {
        throw e;
      }
    }
  }

  public String bootstrapServers() {
    return bootstrap;
  }

  /** The SASL_SSL listener's address, or null when the broker has none. */
  public String saslSslBootstrapServers() {
    return saslSslBootstrap;
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
  }

  /** A port free now (for this package's servers, which bind it right after). */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port", e);
    }
  }
}
