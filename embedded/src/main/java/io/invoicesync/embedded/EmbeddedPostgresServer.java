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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL from Maven Central binaries (zonky), started with {@code wal_level=logical} so
 * Debezium can decode its WAL with pgoutput. Hosts several databases (the issuing database and the
 * query store by default). Data is kept under {@code dataDir}: a second start on the same directory
 * resumes with the same databases, replication slot and WAL.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
  public static final String USER = "postgres";

  private final EmbeddedPostgres postgres;

  private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
    this.postgres = postgres;
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
    try {
      Files.createDirectories(dataDir);
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
      if (port > 0) {
        builder.setPort(port);
      }
      builder
          .setDataDirectory(dataDir)
          .setCleanDataDirectory(false)
          .setServerConfig("wal_level", walLevel)
          .setServerConfig("max_wal_senders", "10")
          .setServerConfig("max_replication_slots", "10")
          .setServerConfig("max_connections", "200")
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("timezone", "UTC");
      settings.forEach(builder::setServerConfig);
      EmbeddedPostgres pg = builder.start();
      EmbeddedPostgresServer server = new EmbeddedPostgresServer(pg);
      for (String db : databases) {
        server.createDatabaseIfMissing(db);
      }
      log.info("embedded PostgreSQL on port {} (data {}), wal_level={}", pg.getPort(), dataDir, walLevel);
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL in " + dataDir, e);
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
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not stop cleanly", e);
    }
  }
}
