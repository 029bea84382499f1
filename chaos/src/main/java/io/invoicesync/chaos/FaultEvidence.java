package io.invoicesync.chaos;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Whether a fault took effect, asked of the infrastructure itself right after it was injected: a
 * scenario whose fault never happened must not pass (the results say so per round).
 */
final class FaultEvidence {

  private FaultEvidence() {
  }

  /** Whether a new connection to {@code db} succeeds now. */
  static boolean connects(DataSource db) {
    try (Connection c = db.getConnection()) {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  /** Whether a new session of {@code db} refuses a write now (a read-only database). */
  static boolean refusesWrites(DataSource db) {
    try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TEMP TABLE chaos_write_probe (n int)"); // a temporary table is a write a read-only transaction refuses
      return false;
    } catch (SQLException e) {
      return e.getMessage() != null && e.getMessage().contains("read-only");
    }
  }

  /** Whether a broker of {@code bootstrap} answers within a few seconds. */
  static boolean brokerAnswers(String bootstrap) {
    return brokers(bootstrap) > 0;
  }

  /** How many brokers the cluster of {@code bootstrap} has alive now (0 when none answers within a few seconds). */
  static int brokers(String bootstrap) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000,
        AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500))) {
      return admin.describeCluster().nodes().get(6, TimeUnit.SECONDS).size();
    } catch (ExecutionException | TimeoutException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }
}
