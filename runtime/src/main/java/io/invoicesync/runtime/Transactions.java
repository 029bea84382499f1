package io.invoicesync.runtime;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/** One write to the query store as one transaction, for the projector and the outcome recorder alike. */
public final class Transactions {

  /** The work of one transaction, on its connection. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private Transactions() {
  }

  /**
   * Runs {@code work} in one transaction and commits it; on any failure rolls back and throws what
   * failed the work (a failed rollback, as on a dead connection, is added as suppressed: the work's
   * failure is what the caller classifies).
   */
  public static <T> T inTransaction(DataSource dataSource, Work<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException rollbackFailed) {
          e.addSuppressed(rollbackFailed);
        }
        throw e;
      }
    }
  }
}
