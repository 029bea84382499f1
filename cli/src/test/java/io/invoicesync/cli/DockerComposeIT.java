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
    for (String name : List.of("ingest", "streams", "projector", "api", "webhooks")) {
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
      // operable: restarted after exit 3, healthy only when ready, secrets from the environment, scraped by Prometheus
      assertThat(svc.get("restart").asText()).as(name + " restart").isEqualTo("unless-stopped");
      assertThat(svc.get("healthcheck").get("test").toString()).as(name + " healthcheck").contains("http://localhost:8081/health/ready");
      svc.path("environment").fieldNames().forEachRemaining(k -> assertThat(k).startsWith("INVOICESYNC_"));
      assertThat(Files.readString(DOCKER.resolve("prometheus.yml"))).contains("\"" + name + ":8081\"");
    }
    assertThat(deployed).containsExactlyInAnyOrder(Pipeline.Component.values());
    assertThat(services.get("prometheus").get("volumes").get(0).asText()).startsWith("./prometheus.yml:");
    assertThat(services.get("registry").get("environment").get("APICURIO_STORAGE_KIND").asText()).as("schemas survive a restart")
        .isEqualTo("kafkasql");
    for (String volume : List.of("issuing-data", "query-data", "kafka-data", "streams-state")) {
      assertThat(compose.get("volumes").has(volume)).as("volume " + volume).isTrue();
    }
    assertThat(Files.readString(DOCKER.resolve("invoice-sync.properties"))).as("no password baked into the image")
        .doesNotContainPattern("(?m)^[^#].*password=.+");
  }

  /** Dashboards and alerts beside the services: Prometheus loads the rules, Grafana the dashboard and its data source, kafbat UI the cluster. */
  @Test
  void shouldWireAlertRulesAGrafanaDashboardAndKafbatUi() throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    JsonNode services = yaml.readTree(DOCKER.resolve("docker-compose.yml").toFile()).get("services");
    assertThat(services.get("prometheus").get("volumes").toString()).contains("./alerts.yml:/etc/prometheus/alerts.yml");
    assertThat(yaml.readTree(DOCKER.resolve("prometheus.yml").toFile()).get("rule_files").get(0).asText()).isEqualTo("/etc/prometheus/alerts.yml");
    List<String> alerts = new ArrayList<>();
    for (JsonNode group : yaml.readTree(DOCKER.resolve("alerts.yml").toFile()).get("groups")) {
      for (JsonNode rule : group.get("rules")) {
        String name = rule.get("alert").asText();
        alerts.add(name);
        assertThat(rule.get("expr").asText()).as(name).isNotBlank();
        assertThat(rule.get("labels").get("severity").asText()).as(name).isIn("page", "ticket");
        assertThat(rule.get("annotations").get("summary").asText()).as(name).isNotBlank();
      }
    }
    // the issue's five: the freshness SLO, reconcile MISSING, dead-letter growth, a component down, the webhook backlog
    assertThat(alerts).contains("InvoiceSyncFreshnessSlo", "InvoiceSyncReconcileMissing", "InvoiceSyncDeadLettersGrowing",
        "InvoiceSyncComponentDown", "InvoiceSyncWebhookBacklog");

    JsonNode grafana = services.get("grafana");
    for (JsonNode v : grafana.get("volumes")) {
      assertThat(DOCKER.resolve(v.asText().split(":")[0]).normalize()).as("grafana mounts " + v).exists();
    }
    assertThat(grafana.get("environment").get("GF_SECURITY_ADMIN_PASSWORD").asText()).startsWith("${GRAFANA_ADMIN_PASSWORD:?");
    assertThat(Files.readString(DOCKER.resolve(".env.example"))).contains("GRAFANA_ADMIN_PASSWORD=");
    assertThat(yaml.readTree(DOCKER.resolve("grafana/provisioning/datasources/prometheus.yml").toFile()).get("datasources").get(0).get("url")
        .asText()).isEqualTo("http://prometheus:9090");
    JsonNode dashboard = new ObjectMapper().readTree(DOCKER.resolve("grafana/dashboards/invoice-sync.json").toFile());
    assertThat(dashboard.get("panels")).hasSizeGreaterThanOrEqualTo(8);
    for (JsonNode panel : dashboard.get("panels")) {
      assertThat(panel.get("targets")).as(panel.get("title").asText()).isNotEmpty();
      panel.get("targets").forEach(t -> assertThat(t.get("expr").asText()).isNotBlank());
    }
    JsonNode ui = services.get("kafbat-ui").get("environment");
    assertThat(ui.get("KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS").asText()).isEqualTo("kafka:9092");
    assertThat(ui.get("KAFKA_CLUSTERS_0_READONLY").asText()).isEqualTo("true");
  }

  @Test
  void shouldBeSafeByDefaultNoDatabasePublishedTheApiOnLoopbackAndNoDefaultPassword() throws Exception {
    String yaml = Files.readString(DOCKER.resolve("docker-compose.yml"));
    JsonNode services = new ObjectMapper(new YAMLFactory()).readTree(yaml).get("services");
    for (String db : List.of("issuing-db", "query-db", "kafka")) {
      assertThat(services.get(db).has("ports")).as(db + " publishes no port").isFalse();
    }
    services.fieldNames().forEachRemaining(name -> services.get(name).path("ports").forEach(port ->
        assertThat(port.asText()).as(name + " is published on loopback only").startsWith("127.0.0.1:")));
    assertThat(services.get("api").get("ports").get(0).asText()).startsWith("127.0.0.1:8080:");
    // passwords only from docker/.env: no default value, and compose refuses to start without them
    assertThat(yaml).doesNotContain(":-postgres").contains("${ISSUING_DB_PASSWORD:?", "${QUERY_DB_PASSWORD:?");
    assertThat(Files.readString(DOCKER.resolve(".env.example"))).contains("ISSUING_DB_PASSWORD=", "QUERY_DB_PASSWORD=");
    assertThat(Files.readString(ROOT.resolve(".gitignore"))).contains("docker/.env");
    // the management port answers the orchestrator inside the containers, and loopback only elsewhere (its default)
    assertThat(Files.readString(DOCKER.resolve("invoice-sync.properties"))).contains("\nmanagement.bind.address=0.0.0.0");
    assertThat(Files.readString(DOCKER.resolve("Dockerfile"))).contains("INVOICESYNC_MANAGEMENT_BIND_ADDRESS=0.0.0.0");
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
    // COPY from the context, or from the build stage (which builds in /src what `package` builds here)
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
    Matcher m = Pattern.compile("(?m)^COPY\\s+(?:--from=build\\s+/src/)?(\\S+)\\s+\\S+").matcher(dockerfile);
    int copies = 0;
    while (m.find()) {
      assertThat(ROOT.resolve(m.group(1))).as("COPY source").exists();
      copies++;
    }
    assertThat(copies).isGreaterThanOrEqualTo(5);
    assertThat(dockerfile).contains("ENTRYPOINT", "FROM eclipse-temurin:17-jdk AS build", "./mvnw -B -q package", "HEALTHCHECK", "USER invoicesync");
    assertThat(ROOT.resolve(".dockerignore")).content().contains("**/target");
  }
}
