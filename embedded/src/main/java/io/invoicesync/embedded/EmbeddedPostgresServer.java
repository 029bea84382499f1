package io.invoicesync.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL from Maven Central binaries (zonky), started with {@code wal_level=logical} so
 * Debezium can decode its WAL with pgoutput. Hosts several databases (the issuing database and the
 * query store by default). Data is kept under {@code dataDir}: a second start on the same directory
 * resumes with the same databases, replication slot and WAL.
 *
 * <p>PostgreSQL runs detached from the JVM (pg_ctl daemonizes it), so a JVM killed with SIGKILL
 * leaves it running and holding the data directory. The JVM that starts a server records its own
 * pid beside the data ({@value #OWNER_FILE}); a later start finds a server whose owner is gone,
 * stops it (a smart shutdown: its clients died with their JVM) and starts afresh, and refuses,
 * naming the owner, when the owner is still alive.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
  public static final String USER = "postgres";
  /** Beside the data directory's {@code postmaster.pid}: the pid of the JVM that started the server. */
  public static final String OWNER_FILE = "invoice-sync-owner.pid";

  private final EmbeddedPostgres postgres;
  private final Path dataDir;

  private EmbeddedPostgresServer(EmbeddedPostgres postgres, Path dataDir) {
    this.postgres = postgres;
    this.dataDir = dataDir;
  }

  /**
   * Starts PostgreSQL on a free port with its data under {@code dataDir} and makes sure each of
   * {@code databases} exists.
   *
   * @param walLevel {@code logical} for anything Debezium reads; other values exist for tests of
   *                 the start-up check
   */
  public static EmbeddedPostgresServer start(Path dataDir, String walLevel, List<String> databases) {
    return start(dataDir, walLevel, databases, 0);
  }

  /**
   * As {@link #start(Path, String, List)} on a given port (0 = any free one); a fixed port lets a
   * stopped server come back at the same JDBC URL, as a real database does after an outage.
   */
  public static EmbeddedPostgresServer start(Path dataDir, String walLevel, List<String> databases, int port) {
    return start(dataDir, walLevel, databases, port, Map.of());
  }

  /**
   * As {@link #start(Path, String, List, int)} with further server settings (the bench loads
   * {@code pg_stat_statements} this way).
   */
  public static EmbeddedPostgresServer start(Path dataDir, String walLevel, List<String> databases, int port, Map<String, String> settings) {
    return start(dataDir, walLevel, databases, port, settings, true);
  }

  /**
   * A server the caller stops itself, in its own order: no JVM shutdown hook stops it behind the
   * caller's back (the demo closes the pipeline first, then Kafka, then PostgreSQL, so nothing still
   * writing finds the database gone). A JVM killed outright leaves it running; the next start on the
   * same directory stops it.
   */
  public static EmbeddedPostgresServer startOwnedByCaller(Path dataDir, List<String> databases) {
    return startOwnedByCaller(dataDir, databases, 0);
  }

  /** As {@link #startOwnedByCaller(Path, List)}, on {@code port} (0: any free port). */
  public static EmbeddedPostgresServer startOwnedByCaller(Path dataDir, List<String> databases, int port) {
    return start(dataDir, "logical", databases, port, Map.of(), false);
  }

  private static EmbeddedPostgresServer start(Path dataDir, String walLevel, List<String> databases, int port, Map<String, String> settings,
                                              boolean stopOnJvmExit) {
    try {
      Files.createDirectories(dataDir);
      stopOrphanedServer(dataDir);
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
      if (port > 0) {
        builder.setPort(port);
      }
      builder
          .setDataDirectory(dataDir)
          .setCleanDataDirectory(false)
          .setRegisterShutdownHook(stopOnJvmExit)
          // zonky gives up after 10 s; on a 2-core machine with the build's other test JVMs busy, a fresh initdb and start
          // took longer once (IngestIT's second cluster in a CI-like run): wait up to a minute, it returns as soon as it answers
          .setPGStartupWait(java.time.Duration.ofSeconds(60))
          .setServerConfig("wal_level", walLevel)
          .setServerConfig("max_wal_senders", "10")
          .setServerConfig("max_replication_slots", "10")
          .setServerConfig("max_connections", "200")
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("timezone", "UTC");
      settings.forEach(builder::setServerConfig);
      EmbeddedPostgres pg = builder.start();
      Files.writeString(dataDir.resolve(OWNER_FILE), Long.toString(ProcessHandle.current().pid()));
      EmbeddedPostgresServer server = new EmbeddedPostgresServer(pg, dataDir);
      for (String db : databases) {
        server.createDatabaseIfMissing(db);
      }
      log.info("embedded PostgreSQL on port {} (data {}), wal_level={}", pg.getPort(), dataDir, walLevel);
      return server;
    } catch (IOException e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      throw new UncheckedIOException("cannot start embedded PostgreSQL in " + dataDir + ": " + root.getMessage(), e);
    }
  }

  /**
   * Stops a server left running on {@code dataDir} by a JVM that no longer exists (killed with
   * SIGKILL, say); refuses when the JVM that started it is still running.
   */
  static void stopOrphanedServer(Path dataDir) throws IOException {
    Path pidFile = dataDir.resolve("postmaster.pid");
    Path ownerFile = dataDir.resolve(OWNER_FILE);
    if (!Files.exists(pidFile) || !Files.exists(ownerFile)) {
      return; // never started, stopped cleanly, or not ours: PostgreSQL itself judges a stale postmaster.pid
    }
    Optional<ProcessHandle> server;
    long owner;
    try {
      server = ProcessHandle.of(Long.parseLong(Files.readAllLines(pidFile).get(0).trim()));
      owner = Long.parseLong(Files.readString(ownerFile).trim());
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      return;
    }
    if (server.isEmpty() || !server.get().isAlive()) {
      return;
    }
    if (owner != ProcessHandle.current().pid() && ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false)) {
      throw new IOException("the embedded PostgreSQL on " + dataDir + " (pid " + server.get().pid() + ") belongs to process " + owner
          + ", which is still running: stop it first, or use another data directory");
    }
    log.warn("embedded PostgreSQL (pid {}) of a process that is gone ({}) still holds {}: stopping it", server.get().pid(), owner, dataDir);
    server.get().destroy(); // SIGTERM: a smart shutdown, whose clients died with their JVM
    try {
      server.get().onExit().get(60, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new IOException("the embedded PostgreSQL left on " + dataDir + " (pid " + server.get().pid() + ") did not stop within 60 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping the PostgreSQL left on " + dataDir, e);
    } catch (ExecutionException e) {
      throw new IOException(e.getCause());
    }
  }

  /** {@link #start(Path, String, List)} with {@code wal_level=logical}. */
  public static EmbeddedPostgresServer start(Path dataDir, List<String> databases) {
    return start(dataDir, "logical", databases);
  }

  public int port() {
    return postgres.getPort();
  }

  public String host() {
    return "localhost";
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://localhost:" + port() + "/" + database + "?user=" + USER;
  }

  /** Connection properties for components that take host/port/db/user separately (Debezium). */
  public Map<String, String> connectionProperties(String database) {
    return Map.of("host", host(), "port", Integer.toString(port()), "database", database, "user", USER, "password", "");
  }

  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database));
  }

  private void createDatabaseIfMissing(String db) {
    if (!db.matches("[a-z_][a-z0-9_]*")) {
      throw new IllegalArgumentException("database name must be a lower-case SQL identifier, was '" + db + "'");
    }
    try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + db + "'")) {
        if (rs.next()) {
          return;
        }
      }
      s.execute("CREATE DATABASE " + db);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + db + " in embedded PostgreSQL", e);
    }
  }

  @Override
  public void close() {
    try {
      postgres.close();
      Files.deleteIfExists(dataDir.resolve(OWNER_FILE));
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not stop cleanly", e);
    }
  }
}
