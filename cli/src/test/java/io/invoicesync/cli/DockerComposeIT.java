package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.invoicesync.api.QueryApiConfig;
import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.projector.ProjectorConfig;
import io.invoicesync.streams.SyncStreamsConfig;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

/**
 * Validates docker/ where no Docker engine runs: the compose file, the properties it runs with, and
 * the Dockerfile's inputs (an IT so that it runs after {@code package} has built them).
 */
class DockerComposeIT {

  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path DOCKER = ROOT.resolve("docker");

  @Test
  void shouldDescribeADeploymentWithLogicalWalKraftKafkaRegistryAndEveryComponent() throws Exception {
    JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(DOCKER.resolve("docker-compose.yml").toFile());
    JsonNode services = compose.get("services");

    assertThat(services.get("issuing-db").get("command").toString()).contains("wal_level=logical");
    String initScript = services.get("issuing-db").get("volumes").get(0).asText().split(":")[0];
    assertThat(DOCKER.resolve(initScript).normalize()).exists();
    JsonNode kafka = services.get("kafka").get("environment");
    assertThat(kafka.get("KAFKA_PROCESS_ROLES").asText()).isEqualTo("broker,controller");
    assertThat(kafka.get("KAFKA_CONTROLLER_QUORUM_VOTERS").asText()).isNotBlank();
    assertThat(services.get("registry").get("image").asText()).startsWith("apicurio/apicurio-registry:3");

    List<Pipeline.Component> deployed = new ArrayList<>();
    for (String name : List.of("ingest", "streams", "projector", "api")) {
      JsonNode svc = services.get(name);
      assertThat(svc).as("service " + name).isNotNull();
      assertThat(svc.get("build").get("dockerfile").asText()).isEqualTo("docker/Dockerfile");
      List<String> command = new ArrayList<>();
      svc.get("command").forEach(c -> command.add(c.asText()));
      assertThat(command).startsWith("run", "--config");
      String components = command.get(command.indexOf("--components") + 1);
      for (String c : components.split(",")) {
        deployed.add(Pipeline.Component.valueOf(c.toUpperCase()));
      }
      svc.path("depends_on").fieldNames().forEachRemaining(dep -> assertThat(services.has(dep)).as(name + " depends on " + dep).isTrue());
    }
    assertThat(deployed).containsExactlyInAnyOrder(Pipeline.Component.values());
  }

  @Test
  void shouldRunWithPropertiesThatPassEveryComponentsValidationAndDocumentEveryKey() throws Exception {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(DOCKER.resolve("invoice-sync.properties"))) {
      p.load(r);
    }
    Map<String, String> map = new HashMap<>();
    p.stringPropertyNames().forEach(k -> map.put(k, p.getProperty(k)));
    Pipeline pipeline = new Pipeline(map, EnumSet.allOf(Pipeline.Component.class));

    // the real config classes validate types, ranges and required keys
    new IngestConfig(pipeline.componentConfig("ingest"));
    new SyncStreamsConfig(pipeline.componentConfig("streams"));
    new ProjectorConfig(pipeline.componentConfig("projector"));
    new QueryApiConfig(pipeline.componentConfig("api"));

    String text = Files.readString(DOCKER.resolve("invoice-sync.properties"));
    Map<String, ConfigDef> defs = Map.of("ingest", IngestConfig.configDef(), "streams", SyncStreamsConfig.configDef(),
        "projector", ProjectorConfig.configDef(), "api", QueryApiConfig.configDef());
    defs.forEach((prefix, def) -> def.names().stream()
        .filter(k -> !k.equals("bootstrap.servers") && !k.equals("schema.registry.url"))
        .forEach(k -> assertThat(text).as("documented key").containsPattern("(?m)^#?" + Pattern.quote(prefix + "." + k) + "=")));
  }

  @Test
  void shouldFindEveryFileTheDockerfileCopies() throws Exception {
    Matcher m = Pattern.compile("(?m)^COPY\\s+(\\S+)\\s+\\S+").matcher(Files.readString(DOCKER.resolve("Dockerfile")));
    int copies = 0;
    while (m.find()) {
      assertThat(ROOT.resolve(m.group(1))).as("COPY source").exists();
      copies++;
    }
    assertThat(copies).isGreaterThanOrEqualTo(4);
    assertThat(Files.readString(DOCKER.resolve("Dockerfile"))).contains("ENTRYPOINT");
  }
}
