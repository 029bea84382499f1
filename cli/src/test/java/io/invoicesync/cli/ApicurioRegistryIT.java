package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.invoicesync.testkit.TestHttp;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * Registry mode on a real Apicurio Registry: the pipeline registers and resolves its schemas there, an
 * invoice issued by hand becomes visible, and an ERP reads {@code invoices.synced} with nothing but
 * Apicurio's own deserializer and the registry URL, as docs/erp.md tells it to; the Confluent-compatible
 * API lists the subject and serves the schema by id. The registry is the compose file's image where a
 * Docker engine runs (Testcontainers), else the same release from Maven Central in a child JVM
 * ({@link RegistryProcess}, Java 21+); skipped, saying why, when neither can run. Confluent's own
 * deserializer is not tried: Confluent's artifacts are not served to this build.
 */
@Timeout(600)
class ApicurioRegistryIT {

  static final String IMAGE = "apicurio/apicurio-registry:3.3.3"; // docker/docker-compose.yml's; RegistryProcess runs the same release

  @TempDir
  Path dir;

  @Test
  void thePipelineRunsOnARealRegistryAndAnErpReadsItsTopicWithApicuriosDeserializer() throws Exception {
    boolean docker = dockerAvailable();
    Optional<String> noChild = RegistryProcess.unavailable();
    Assumptions.assumeTrue(docker || noChild.isEmpty(), "no Docker engine here (for " + IMAGE + "), and no registry in a child JVM: "
        + noChild.orElse("") + "; the registry-less pipeline is covered by PipelineIT, the registry-outage handling by "
        + "RegistryOutageTopologyTest");
    if (docker) {
      try (GenericContainer<?> registry = new GenericContainer<>(IMAGE).withExposedPorts(8080)
          .waitingFor(Wait.forHttp("/apis/registry/v3/system/info").forStatusCode(200)).withStartupTimeout(Duration.ofMinutes(3))) {
        registry.start();
        runOn("http://" + registry.getHost() + ":" + registry.getMappedPort(8080));
      }
    } else {
      try (RegistryProcess registry = new RegistryProcess(dir.resolve("logs"))) {
        runOn(registry.base());
      }
    }
  }

  private void runOn(String base) throws Exception {
    try (EmbeddedStack stack = EmbeddedStack.start(dir)) {
      String registryUrl = base + "/apis/registry/v3";
      Map<String, String> cfg = stack.config();
      cfg.put("schema.registry.url", registryUrl);
      Pipeline pipeline = stack.startPipeline(cfg);

      try (Connection c = stack.pg.connect("issuing"); Statement s = c.createStatement()) {
        s.execute(PipelineIT.readmeSql());
      }
      int api = pipeline.api().port();
      await().atMost(Duration.ofMinutes(3)).until(() -> TestHttp.get(api, "/api/v1/invoices/hand-1").statusCode() == 200);

      // an ERP: Apicurio's deserializer, the registry URL, nothing of invoice-sync's
      Properties p = new Properties();
      p.put("bootstrap.servers", stack.kafka.bootstrapServers());
      p.put("group.id", "erp-" + System.nanoTime());
      p.put("auto.offset.reset", "earliest");
      p.put("isolation.level", "read_committed");
      p.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
      p.put("value.deserializer", "io.apicurio.registry.serde.avro.AvroKafkaDeserializer");
      p.put("apicurio.registry.url", registryUrl);
      List<ConsumerRecord<String, Object>> read = new ArrayList<>();
      try (KafkaConsumer<String, Object> erp = new KafkaConsumer<>(p)) {
        erp.subscribe(List.of("invoices.synced"));
        await().atMost(Duration.ofMinutes(1)).until(() -> {
          erp.poll(Duration.ofMillis(500)).forEach(read::add);
          return read.stream().anyMatch(r -> "hand-1".equals(r.key()));
        });
      }
      ConsumerRecord<String, Object> hand1 = read.stream().filter(r -> "hand-1".equals(r.key())).findFirst().orElseThrow();
      assertThat(hand1.value()).isNotNull();
      assertThat(hand1.value().toString()).contains("hand-1", "26442000000000000777");

      // the Confluent-compatible API (for ERPs on Confluent's deserializer) serves the same schemas
      HttpResponse<String> subjects = TestHttp.get(URI.create(base + "/apis/ccompat/v7/subjects"));
      assertThat(subjects.statusCode()).isEqualTo(200);
      assertThat(subjects.body()).contains("invoices.synced");
      HttpResponse<String> latest = TestHttp.get(URI.create(base + "/apis/ccompat/v7/subjects/invoices.synced-value/versions/latest"));
      assertThat(latest.statusCode()).as(latest.body()).isEqualTo(200);
      assertThat(latest.body()).contains("InvoiceState");
    }
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }
}
