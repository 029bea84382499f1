package io.invoicesync.cli;

import io.invoicesync.cli.config.ConfigLoader;
import io.invoicesync.cli.internal.LogSetup;
import io.invoicesync.cli.management.ManagementConfig;
import io.invoicesync.cli.management.ManagementServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code invoice-sync run}: the components against an external PostgreSQL, Kafka and (optionally)
 * registry, as one process an orchestrator can watch: a management port for health and metrics, an
 * exit with {@value #EXIT_COMPONENT_FAILED} naming the component when one fails for good, and a
 * clean close on SIGTERM before the JVM ends.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run components against external infrastructure, configured by a properties file and the environment.",
    footer = {"", "Config keys: bootstrap.servers, schema.registry.url and the Kafka security settings (security.protocol, sasl.*, ssl.*) are",
        "shared; ingest.*, streams.*, projector.*, api.*, reconcile.* and management.* go to one component ('invoice-sync config-template'",
        "lists every key and pass-through prefix). Any key can be set from the environment: INVOICESYNC_PROJECTOR_JDBC_PASSWORD sets",
        "projector.jdbc.password. A misspelt key fails start-up, naming the closest known key.", "",
        "Management port (management.port, default 8081): /health/live, /health/ready, /metrics.", "",
        "Exit codes: 0 stopped on request (SIGTERM, Ctrl-C); 1 could not start (configuration, infrastructure);",
        "  " + RunCommand.EXIT_COMPONENT_FAILED + " a component failed for good while running (named on stderr): restart the process.", "",
        "Examples:", "  invoice-sync run --config docker/invoice-sync.properties",
        "  invoice-sync run --config prod.properties --components streams,projector"})
final class RunCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

  /** Exit code when a component failed for good while the process ran. */
  static final int EXIT_COMPONENT_FAILED = 3;

  @Option(names = "--config", required = true, description = "Properties file.")
  Path config;

  @Option(names = "--components", split = ",", description = "Which components to run: ${COMPLETION-CANDIDATES} (default: all).")
  List<Pipeline.Component> components = List.of(Pipeline.Component.values());

  @Spec
  CommandSpec spec;

  /** How often the process checks whether a component failed for good. */
  static final Duration WATCH_INTERVAL = Duration.ofSeconds(1);

  @Override
  public Integer call() throws Exception {
    Map<String, String> values = ConfigLoader.load(config, System.getenv());
    LogSetup.apply(values.get(LogSetup.FORMAT),
        values.get(LogSetup.FILE));
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    // SIGTERM: the JVM waits for its hooks, so this one waits until the pipeline has closed (offsets committed, slot released)
    Thread hook = new Thread(() -> {
      stop.countDown();
      try {
        closed.await(90, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "invoice-sync-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    Optional<String> failed;
    try {
      try (Pipeline pipeline = new Pipeline(values, EnumSet.copyOf(components))) {
        ManagementConfig management = new ManagementConfig(pipeline.componentConfig("management"));
        try (ManagementServer server = management.getInt(ManagementConfig.PORT) < 0 ? null
            : ManagementServer.start(management, pipeline.metrics(), pipeline::health)) {
          pipeline.start();
          out("invoice-sync running " + components + (server != null ? ", management: http://localhost:" + server.port() + "/health/ready" : "")
              + (pipeline.api() != null ? ", api: " + pipeline.api().url() : "") + " - Ctrl-C to stop");
          failed = watch(pipeline, stop);
          failed.ifPresent(f -> {
            log.error("component failed for good, stopping the process: {}", f);
            spec.commandLine().getErr().println("invoice-sync run: " + f + "; exiting with " + EXIT_COMPONENT_FAILED + " so that it is restarted");
            spec.commandLine().getErr().flush();
          });
        }
      }
      // the pipeline is closed; said before the shutdown hook is released, or the JVM could end before the line is out
      out("invoice-sync stopped" + (failed.isPresent() ? " after a component failure" : " cleanly"));
    } finally {
      closed.countDown();
    }
    return failed.isPresent() ? EXIT_COMPONENT_FAILED : 0;
  }

  /** Until a stop is asked for or a component failed for good: which one and why. */
  private static Optional<String> watch(Pipeline pipeline, CountDownLatch stop) throws InterruptedException {
    while (!stop.await(WATCH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS)) {
      Optional<String> fatal = pipeline.fatal();
      if (fatal.isPresent()) {
        return fatal;
      }
    }
    return Optional.empty();
  }

  private void out(String line) {
    spec.commandLine().getOut().println(line);
    spec.commandLine().getOut().flush();
  }
}
