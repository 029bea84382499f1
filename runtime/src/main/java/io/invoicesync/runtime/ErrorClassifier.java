package io.invoicesync.runtime;

import io.invoicesync.schemas.SerdeFactory;
import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Sorts every projector failure into one kind of ARCHITECTURE.md's error taxonomy. The whole cause
 * chain is inspected: the first SQLState found decides; connection-level exceptions anywhere in the
 * chain mean an outage.
 *
 * <ul>
 *   <li>{@link Kind#OUTAGE}: the query store is unreachable or refusing work (SQLState class 08,
 *       57P01-57P03, 53xxx, 25006 read-only; connection refused; pool timeout), the schema registry is unreachable, or
 *       a send to Kafka failed retriably (delivery timeout) - back off in place, skip nothing;</li>
 *   <li>{@link Kind#RECORD_TRANSIENT}: one row's trouble that may pass (40001 serialization,
 *       40P01 deadlock, 55P03 lock timeout, 57014 statement timeout, P0001 raised by a trigger);</li>
 *   <li>{@link Kind#NON_RETRIABLE}: the row can never be written as it is (22xxx data, 23xxx
 *       integrity, 42xxx schema, anything unrecognised) - dead-letter it;</li>
 *   <li>{@link Kind#POISON_PILL}: bytes that do not decode - dead-letter them.</li>
 * </ul>
 */
public final class ErrorClassifier {

  public enum Kind { OUTAGE, RECORD_TRANSIENT, NON_RETRIABLE, POISON_PILL }

  /** 25006: the store is read-only (a failover in progress, a standby, maintenance): no record is to blame. */
  private static final Set<String> OUTAGE_STATES = Set.of("57P01", "57P02", "57P03", "25006");
  private static final Set<String> TRANSIENT_STATES = Set.of("40001", "40P01", "55P03", "57014", "P0001");

  private ErrorClassifier() {
  }

  public static Kind classify(Throwable error) {
    if (SerdeFactory.unreachable(error)) {
      return Kind.OUTAGE; // the store or the schema registry cannot be reached: whatever wraps it, no record is to blame
    }
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ConnectException || t instanceof SQLTransientConnectionException || t instanceof SQLRecoverableException) {
        return Kind.OUTAGE;
      }
      if (t instanceof RetriableException) {
        return Kind.OUTAGE; // a send to the retry, dead-letter or projection topic timed out: the broker, not the record
      }
      if (t instanceof SerializationException) {
        return Kind.POISON_PILL;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.startsWith("08") || state.startsWith("53") || OUTAGE_STATES.contains(state)) {
          return Kind.OUTAGE;
        }
        if (TRANSIENT_STATES.contains(state)) {
          return Kind.RECORD_TRANSIENT;
        }
        return Kind.NON_RETRIABLE;
      }
    }
    return Kind.NON_RETRIABLE;
  }
}
