package io.invoicesync.cli;

import io.invoicesync.api.QueryApiConfig;
import io.invoicesync.api.QueryApiServer;
import io.invoicesync.cli.internal.RunConfig;
import io.invoicesync.cli.management.KafkaProbe;
import io.invoicesync.cli.management.ManagementConfig;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.ingest.IngestService;
import io.invoicesync.outcomes.reconcile.ReconcileConfig;
import io.invoicesync.outcomes.reconcile.ReconcileScheduler;
import io.invoicesync.outcomes.recorder.OutcomeRecorder;
import io.invoicesync.projector.ProjectorConfig;
import io.invoicesync.projector.ProjectorService;
import io.invoicesync.schemas.ComponentHealth;
import io.invoicesync.schemas.KafkaClients;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.TopicPlan;
import io.invoicesync.schemas.Topics;
import io.invoicesync.streams.SyncStreamsConfig;
import io.invoicesync.streams.SyncStreamsService;
import io.invoicesync.webhooks.WebhookService;
import io.invoicesync.webhooks.WebhooksConfig;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the components in one process. Stages never call each other: they meet only through the
 * topics. Configuration is one flat map: keys without a component prefix (bootstrap.servers,
 * schema.registry.url) go to every component; {@code ingest.*}, {@code streams.*},
 * {@code projector.*}, {@code api.*} and {@code webhooks.*} go to one, prefix removed.
 */
public final class Pipeline implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

  public enum Component { INGEST, STREAMS, PROJECTOR, API, WEBHOOKS }

  private static final Set<String> SHARED = Set.of("bootstrap.servers", "schema.registry.url");

  private final Map<String, String> config;
  private final Set<Component> components;
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** The running ingest engines by source name ("" for the single source), in the order 'sources' names them. */
  private final Map<String, IngestService> ingests = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
  private volatile Map<String, IngestConfig> ingestConfigs = Map.of();
  private volatile SyncStreamsService streams;
  private volatile ProjectorService projector;
  private volatile OutcomeRecorder outcomes;
  private ReconcileScheduler reconcile;
  private volatile QueryApiServer api;
  private volatile WebhookService webhooks;

  public Pipeline(Map<String, String> config, Set<Component> components) {
    this.config = Map.copyOf(config);
    this.components = components.isEmpty() ? EnumSet.noneOf(Component.class) : EnumSet.copyOf(components);
    // every meter of this process carries which components it runs and which instance it is
    metrics.config().commonTags("component", componentsTag(this.components),
        "instance", new ManagementConfig(componentConfig("management")).instance());
  }

  /** The {@code component} tag: the components this process runs, in data-flow order, joined by '+'. */
  static String componentsTag(Set<Component> components) {
    return components.stream().map(c -> c.name().toLowerCase(Locale.ROOT)).reduce((a, b) -> a + "+" + b).orElse("none");
  }

  /**
   * The configuration of every component against embedded infrastructure: the issuing database and
   * the query store as two databases of {@code pg} (schemas migrated by the caller), topics with
   * replication factor 1, Streams state under {@code streamsStateDir}. Mutable, for the caller's extras.
   */
  public static Map<String, String> embeddedConfig(EmbeddedPostgresServer pg,
                                                   EmbeddedKafkaBroker kafka, Path streamsStateDir) {
    Map<String, String> cfg = new HashMap<>();
    cfg.put("bootstrap.servers", kafka.bootstrapServers());
    cfg.put("topics.replication.factor", "1");
    cfg.put("ingest.database.port", Integer.toString(pg.port()));
    cfg.put("ingest.database.dbname", "issuing");
    cfg.put("streams.state.dir", streamsStateDir.toString());
    cfg.put("projector.jdbc.url", pg.jdbcUrl("querystore"));
    cfg.put("projector.migrate", "false");
    cfg.put("api.jdbc.url", pg.jdbcUrl("querystore"));
    cfg.put("api.auth.mode", "none"); // embedded, on this machine: open, and so only to this machine; 'run' makes an operator choose
    cfg.put("api.bind.address", "127.0.0.1");
    cfg.put("api.source.jdbc.url", pg.jdbcUrl("issuing")); // trace can say NOT_CAPTURED; off by default in 'run'
    cfg.put("webhooks.jdbc.url", pg.jdbcUrl("querystore"));
    cfg.put("webhooks.allow.http", "true"); // receivers on this machine; 'run' asks for https unless told otherwise
    cfg.put("webhooks.allow.private.addresses", "true"); // ... and refuses this machine and private networks for tokens' endpoints
    cfg.put("management.port", "0"); // a 'run' of this configuration takes any free port: several can run on one machine
    return cfg;
  }

  /**
   * The webhooks' configuration: its query store, unless named, the projector's (else the API's); the stages its stall
   * monitor watches, unless named, the ones this configuration runs.
   */
  private Map<String, Object> webhooksConfig() {
    Map<String, Object> c = componentConfig("webhooks");
    if (!c.containsKey(WebhooksConfig.JDBC_URL)) {
      // the query store the projector writes (or the API reads): a deployment that has not named one for webhooks runs as before
      String from = config.containsKey("projector.jdbc.url") ? "projector.jdbc." : config.containsKey("api.jdbc.url") ? "api.jdbc." : null;
      if (from != null) {
        for (String k : List.of("url", "user", "password")) {
          if (config.containsKey(from + k)) {
            c.put("jdbc." + k, config.get(from + k));
          }
        }
      }
    }
    if (!c.containsKey(WebhooksConfig.STALL_WATCH)) {
      c.put(WebhooksConfig.STALL_WATCH, config.getOrDefault("streams.topic.captured", Topics.CAPTURED.name()) + ":"
          + config.getOrDefault("streams.application.id", "invoice-sync-streams") + ","
          + config.getOrDefault("projector.topic.synced", Topics.SYNCED.name()) + ":" + config.getOrDefault("projector.group.id", "invoice-sync-projector"));
    }
    return c;
  }

  /** The configuration one component sees: shared keys (and the Kafka clients' shared security settings) plus its own, prefix removed. */
  public Map<String, Object> componentConfig(String prefix) {
    return componentConfig(config, prefix);
  }

  private static Map<String, Object> componentConfig(Map<String, String> config, String prefix) {
    Map<String, Object> out = new HashMap<>();
    config.forEach((k, v) -> {
      if (SHARED.contains(k) || KafkaClients.isSecurityKey(k) || k.startsWith(SerdeFactory.APICURIO_PREFIX)) {
        out.put(k, v);
      }
    });
    config.forEach((k, v) -> {
      if (k.startsWith(prefix + ".")) {
        out.put(k.substring(prefix.length() + 1), v);
      }
    });
    return out;
  }

  public synchronized Pipeline start() {
    // validate every component's configuration before starting anything
    // one ingest engine per issuing source: the single one of ingest.*, or each of 'sources' with its block
    Map<String, IngestConfig> ingestConfigs = new LinkedHashMap<>();
    if (components.contains(Component.INGEST)) {
      List<String> sources = RunConfig.sources(config);
      if (sources.isEmpty()) {
        ingestConfigs.put("", new IngestConfig(componentConfig("ingest")));
      }
      for (String name : sources) {
        ingestConfigs.put(name, new IngestConfig(componentConfig(RunConfig.forSource(config, name), "ingest")));
      }
    }
    this.ingestConfigs = java.util.Collections.unmodifiableMap(ingestConfigs);
    IngestConfig ingestConfig = ingestConfigs.isEmpty() ? null : ingestConfigs.values().iterator().next();
    SyncStreamsConfig streamsConfig = components.contains(Component.STREAMS) ? new SyncStreamsConfig(componentConfig("streams")) : null;
    ProjectorConfig projectorConfig = components.contains(Component.PROJECTOR) ? new ProjectorConfig(componentConfig("projector")) : null;
    QueryApiConfig apiConfig = components.contains(Component.API) ? new QueryApiConfig(componentConfig("api")) : null;
    WebhooksConfig webhooksConfig = components.contains(Component.WEBHOOKS) ? new WebhooksConfig(webhooksConfig()) : null;
    WebhooksConfig.ApiSettings webhookSettings = WebhooksConfig.apiSettings(config); // checked before anything starts
    var reconcileConfig = new ReconcileConfig(componentConfig("reconcile"));
    if (!RunConfig.sources(config).isEmpty()) {
      // what asks one issuing database on its own schedule does not know which of several to ask yet
      if (projectorConfig != null && reconcileConfig.intervalMs() > 0) {
        throw new ConfigException("reconcile.interval.ms", config.get("reconcile.interval.ms"), "scheduled reconciliation compares one issuing "
            + "database with the store; with several sources ('sources') run 'invoice-sync reconcile --source NAME' for each instead");
      }
      if (apiConfig != null && config.get("api.source.jdbc.url") != null) {
        throw new ConfigException("api.source.jdbc.url", config.get("api.source.jdbc.url"), "the API's source probe asks one issuing "
            + "database; with several sources ('sources') leave it out and use 'invoice-sync trace --config F --source NAME'");
      }
    }

    String bootstrap = config.get("bootstrap.servers");
    // the stages are independent (they meet only through the topics): they start side by side, the
    // API from the first moment, the Kafka stages once their topics exist; start() returns when all
    // have started, or throws the first failure once every start has ended (close() stops the rest)
    ExecutorService starting = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "pipeline-start");
      t.setDaemon(true);
      return t;
    });
    List<Future<?>> starts = new ArrayList<>();
    try {
      if (apiConfig != null) {
        boolean recorderRuns = projectorConfig != null && projectorConfig.getBoolean(ProjectorConfig.OUTCOMES_ENABLED);
        RunConfig run = RunConfig.of(config);
        QueryApiServer server = new QueryApiServer(apiConfig, metrics, healthChecks(recorderRuns)).webhookSettings(webhookSettings);
        if (run.mapsOtherTables()) {
          server.issuingTables(source -> run.issuingTables(source, null)); // trace's source probe reads the customer's tables through the mapping
        }
        starts.add(starting.submit(() -> api = server.start()));
      }
      // the query store's schema (projector.migrate) is migrated beside the Kafka stages' start, which do not need it;
      // what reads or writes the store (projector, outcome recorder, webhooks) starts once it is done
      Future<?> queryStore = null;
      if (projectorConfig != null) {
        ProjectorService p = new ProjectorService(projectorConfig, metrics);
        projector = p; // assigned first: close() stops what half started
        queryStore = starting.submit(p::prepareQueryStore);
        starts.add(queryStore);
      }
      if (bootstrap != null && !components.equals(EnumSet.of(Component.API))) {
        ensureTopics(bootstrap, ingestConfig, streamsConfig, projectorConfig);
      }
      Future<?> storeReady = queryStore;
      if (projectorConfig != null) {
        starts.add(starting.submit(() -> {
          if (!ready(storeReady)) {
            return; // its failure is the migration's, reported once
          }
          projector.start();
          if (projectorConfig.getBoolean(ProjectorConfig.OUTCOMES_ENABLED)) {
            outcomes = new OutcomeRecorder(recorderSettings(projectorConfig), metrics);
            outcomes.start();
          }
        }));
      }
      if (webhooksConfig != null) {
        starts.add(starting.submit(() -> {
          if (!ready(storeReady)) {
            return;
          }
          webhooks = new WebhookService(webhooksConfig, metrics); // assigned first: close() stops what half started
          webhooks.start();
        }));
      }
      if (streamsConfig != null) {
        starts.add(starting.submit(() -> {
          streams = new SyncStreamsService(streamsConfig, metrics);
          streams.start();
        }));
      }
      ingestConfigs.forEach((name, c) -> starts.add(starting.submit(() -> startIngest(name, c))));
    } catch (RuntimeException e) {
      try {
        awaitAll(starts);
      } catch (RuntimeException also) {
        e.addSuppressed(also);
      }
      throw e;
    } finally {
      starting.shutdown();
    }
    awaitAll(starts);
    if (projectorConfig != null && reconcileConfig.intervalMs() > 0) {
      reconcile = RunConfig.of(config).reconcileScheduler(reconcileConfig, metrics).start();
    }
    bindProcessMetrics();
    if (bootstrap != null && !components.equals(EnumSet.of(Component.API))) {
      kafkaProbe = new KafkaProbe(KafkaClients.common(bootstrap, config), Duration.ofSeconds(5));
      processMetrics.add(kafkaProbe);
    }
    log.info("pipeline started: {}", components);
    return this;
  }

  /** The contract's topics under the names the components are configured with, checked against what exists. */
  private void ensureTopics(String bootstrap, IngestConfig ingestConfig, SyncStreamsConfig streamsConfig, ProjectorConfig projectorConfig) {
    TopicPlan plan = streamsConfig != null ? streamsConfig.topicPlan() : TopicPlan.defaults();
    if (projectorConfig != null) {
      plan = plan.named(Topics.SYNCED_RETRY, projectorConfig.getString(ProjectorConfig.SYNCED_RETRY_TOPIC))
          .named(Topics.SYNCED_DLT, projectorConfig.getString(ProjectorConfig.SYNCED_DLT_TOPIC));
      if (streamsConfig == null) {
        plan = projectorConfig.topicPlan();
      }
    }
    if (ingestConfig != null) {
      plan = plan.named(Topics.CAPTURED, ingestConfig.getString(IngestConfig.CAPTURED_TOPIC));
    }
    plan = plan.replicationFactor(Short.parseShort(config.getOrDefault("topics.replication.factor", "-1")));
    try (Admin admin = Admin.create(KafkaClients.common(bootstrap, config))) {
      plan.ensure(admin, Topics.CONTRACT);
    }
  }

  /** Waits for the query store's preparation (none: ready); false when it failed, which its own future reports. */
  private static boolean ready(Future<?> queryStore) {
    if (queryStore == null) {
      return true;
    }
    try {
      queryStore.get();
      return true;
    } catch (ExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the query store was prepared", e);
    }
  }

  /** Waits for every start; the first failure (the others logged) is thrown once none is still running. */
  private static void awaitAll(List<Future<?>> starts) {
    RuntimeException failed = null;
    for (Future<?> f : starts) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failed = failed != null ? failed : new IllegalStateException("interrupted while the pipeline started", e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (failed != null) {
          log.error("a second component failed to start as well", cause);
        } else {
          failed = cause instanceof RuntimeException re ? re : new IllegalStateException(cause.getMessage(), cause);
        }
      }
    }
    if (failed != null) {
      throw failed;
    }
  }

  /**
   * Each running component's own account of itself ({@link ComponentHealth}), by name, in data-flow
   * order; the query API reports whether it reaches the query store.
   */
  public Map<String, ComponentHealth> health() {
    Map<String, ComponentHealth> h = new LinkedHashMap<>();
    KafkaProbe probe = kafkaProbe;
    if (probe != null) {
      h.put("kafka", probe.health()); // whether this process reaches the cluster, whatever its components notice
    }
    ingests().forEach((name, i) -> h.put(name.isEmpty() ? "ingest" : "ingest:" + name, i.health()));
    SyncStreamsService s = streams;
    if (s != null) {
      h.put("streams", s.health());
    }
    ProjectorService p = projector;
    if (p != null) {
      h.put("projector", p.health());
    }
    OutcomeRecorder o = outcomes;
    if (o != null) {
      h.put("outcomes", o.health());
    }
    QueryApiServer a = api;
    if (a != null) {
      h.put("api", a.health());
    }
    WebhookService w = webhooks;
    if (w != null) {
      h.put("webhooks", w.health());
    }
    return h;
  }

  /** The first component that failed for good, as "name: state: cause", if any: the process should end. */
  public Optional<String> fatal() {
    for (Map.Entry<String, ComponentHealth> e : health().entrySet()) {
      if (e.getValue().status() == ComponentHealth.Status.FAILED) {
        Object cause = e.getValue().details().get("failure");
        return Optional.of(e.getKey() + ": " + e.getValue().state() + (cause == null ? "" : ": " + cause));
      }
    }
    return Optional.empty();
  }

  /** Readiness of the stages this process runs; a stage still starting is not ready. */
  private Map<String, BooleanSupplier> healthChecks(boolean recorderRuns) {
    Map<String, BooleanSupplier> checks = new LinkedHashMap<>();
    if (components.contains(Component.INGEST)) {
      checks.put("ingest", () -> !ingests().isEmpty() && ingests().size() == ingestConfigs.size()
          && ingests().values().stream().allMatch(i -> i.health().ready()));
    }
    if (components.contains(Component.STREAMS)) {
      checks.put("syncStreams", () -> streams != null && streams.isHealthy());
    }
    if (components.contains(Component.PROJECTOR)) {
      checks.put("projector", () -> projector != null && projector.isHealthy());
    }
    if (recorderRuns) {
      checks.put("outcomes", () -> outcomes != null && outcomes.isHealthy());
    }
    if (components.contains(Component.WEBHOOKS)) {
      checks.put("webhooks", () -> webhooks != null && webhooks.isHealthy());
    }
    return checks;
  }

  private final List<AutoCloseable> processMetrics = new ArrayList<>();
  private volatile KafkaProbe kafkaProbe;

  /** JVM and process meters (memory, GC, threads, class loading, CPU, uptime, file descriptors). */
  private void bindProcessMetrics() {
    new JvmMemoryMetrics().bindTo(metrics);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(metrics);
    processMetrics.add(gc);
    new JvmThreadMetrics().bindTo(metrics);
    new ClassLoaderMetrics().bindTo(metrics);
    new ProcessorMetrics().bindTo(metrics);
    new UptimeMetrics().bindTo(metrics);
    new FileDescriptorMetrics().bindTo(metrics);
  }

  /** Waits until every ingest engine streams from its replication slot; a no-op without ingest. */
  public void awaitIngestStreaming(Duration timeout) {
    for (IngestService i : ingests().values()) {
      i.awaitStreaming(timeout);
    }
  }

  /** Waits until sync-streams has its partitions and runs (a no-op without it), so nothing queues behind its start-up. */
  public void awaitStreamsRunning(Duration timeout) throws InterruptedException {
    if (streams == null) {
      return;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("sync-streams not running after " + timeout + " (state " + streams.state() + ")");
      }
      Thread.sleep(50); // bounded poll of the Streams state
    }
  }

  /** Stops ingest alone, every source's engine (the other stages keep running), as an operator would for a restart. */
  public synchronized void stopIngest() {
    for (String name : List.copyOf(ingests().keySet())) {
      stopIngest(name);
    }
  }

  /** Stops one source's ingest engine ("" for the single source). */
  public synchronized void stopIngest(String source) {
    IngestService i = ingests.remove(source);
    if (i != null) {
      i.close();
    }
  }

  /** Starts new ingest engines, each resuming from its committed source offsets. */
  public synchronized void startIngest() {
    if (!ingests().isEmpty()) {
      throw new IllegalStateException("ingest is running");
    }
    ingestConfigs.forEach(this::startIngest);
  }

  /** Starts one source's ingest engine again ("" for the single source). */
  public void startIngest(String source) {
    IngestConfig c = ingestConfigs.get(source);
    if (c == null) {
      throw new IllegalArgumentException("no source '" + source + "' (sources: " + ingestConfigs.keySet() + ")");
    }
    startIngest(source, c);
  }

  private void startIngest(String source, IngestConfig c) {
    IngestService i = new IngestService(c, metrics);
    synchronized (ingests) {
      if (ingests.containsKey(source)) {
        throw new IllegalStateException("ingest of source '" + source + "' is running");
      }
      ingests.put(source, i);
    }
    try {
      i.start();
    } catch (RuntimeException e) {
      ingests.remove(source, i);
      throw e;
    }
  }

  /** The running ingest engines by source name ("" for the single source), in the order 'sources' names them. */
  public Map<String, IngestService> ingests() {
    synchronized (ingests) {
      Map<String, IngestService> out = new LinkedHashMap<>(); // they start side by side: ordered by the configuration, not by who came first
      ingestConfigs.keySet().forEach(name -> {
        IngestService i = ingests.get(name);
        if (i != null) {
          out.put(name, i);
        }
      });
      return java.util.Collections.unmodifiableMap(out);
    }
  }

  public PrometheusMeterRegistry metrics() {
    return metrics;
  }

  public SyncStreamsService streams() {
    return streams;
  }

  public ProjectorService projector() {
    return projector;
  }

  public OutcomeRecorder outcomes() {
    return outcomes;
  }

  public QueryApiServer api() {
    return api;
  }

  public WebhookService webhooks() {
    return webhooks;
  }

  /** The ingest engine (the first source's when there are several), or null. */
  public IngestService ingest() {
    synchronized (ingests) {
      return ingests.isEmpty() ? null : ingests.values().iterator().next();
    }
  }

  /** Stops in reverse data-flow order so nothing in flight is cut off upstream of a running stage. */
  @Override
  public synchronized void close() {
    List<AutoCloseable> order = new ArrayList<>();
    if (reconcile != null) {
      order.add(reconcile);
    }
    if (api != null) {
      order.add(api);
    }
    order.addAll(ingests().values());
    if (streams != null) {
      order.add(streams);
    }
    if (projector != null) {
      order.add(projector);
    }
    if (outcomes != null) {
      order.add(outcomes);
    }
    if (webhooks != null) {
      order.add(webhooks);
    }
    order.addAll(processMetrics);
    for (AutoCloseable c : order) {
      try {
        c.close();
      } catch (Exception e) {
        log.warn("{} did not stop cleanly", c.getClass().getSimpleName(), e);
      }
    }
  }

  /** The outcome recorder runs beside the projector, on its topics, query store and back-off ({@code projector.*}). */
  private OutcomeRecorder.Settings recorderSettings(ProjectorConfig pc) {
    String anchors = pc.getString(ProjectorConfig.AUDIT_ANCHOR_DIR).trim();
    return new OutcomeRecorder.Settings(pc.getString(ProjectorConfig.AUDIT_TOPIC), pc.getString(ProjectorConfig.REJECTED_TOPIC),
        pc.getString(ProjectorConfig.AUDIT_CHECKPOINTS_TOPIC), anchors.isEmpty() ? null : Path.of(anchors),
        Set.of(pc.getString(ProjectorConfig.SYNCED_DLT_TOPIC), pc.getString(ProjectorConfig.CAPTURED_DLT_TOPIC)),
        SerdeFactory.of(pc.getString(ProjectorConfig.SCHEMA_REGISTRY_URL), pc.originals()),
        pc.consumerProperties(pc.getString(ProjectorConfig.OUTCOMES_GROUP_ID)), () -> pc.queryStorePool("outcomes", 1, metrics),
        pc.getString(ProjectorConfig.JDBC_URL).replaceAll("\\?.*", ""), // a URL's query may hold a password
        pc.getLong(ProjectorConfig.BACKOFF_INITIAL_MS), pc.getLong(ProjectorConfig.BACKOFF_MAX_MS));
  }
}
