package io.invoicesync.ingest.internal;

import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.SourcePosition;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the epoch true while the engine runs: Debezium reconnects by itself after the issuing
 * database went away, and may come back to a restored or moved database (and re-snapshot it) without
 * ingest restarting. Positions going back below the highest one published is when that can have
 * happened (concurrent transactions do it too, harmlessly): the cluster is identified again, on a
 * kept-open replication connection, before the batch is published, and the batch carries the epoch
 * found. A cluster that cannot be identified stops ingest rather than publish under a wrong epoch.
 *
 * <p>Used from the engine's thread only, apart from {@link #close}, which the service calls once the
 * engine stopped.
 */
public final class ClusterEpochFollower implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ClusterEpochFollower.class);

  private final IngestConfig config;
  private long epoch;
  private long maxLsnPublished = Long.MIN_VALUE;
  private Connection identity;

  private ClusterEpochFollower(IngestConfig config, long epoch) {
    this.config = config;
    this.epoch = epoch;
  }

  /** Identifies the issuing cluster (see {@link IssuingDatabaseCheck#epoch(IngestConfig)}) and follows it from there. */
  public static ClusterEpochFollower identify(IngestConfig config) {
    long epoch = IssuingDatabaseCheck.epoch(config);
    log.info("issuing cluster epoch {} (initdb {}, timeline {}): every position published carries it", epoch,
        Instant.ofEpochSecond(epoch / 1000), epoch % 1000);
    return new ClusterEpochFollower(config, epoch);
  }

  /** The epoch changes are published with now. */
  public long epoch() {
    return epoch;
  }

  /** Identifies the cluster again when the batch's positions go back, and stamps the batch with the epoch, in place. */
  public void follow(List<InvoiceChange> changes) {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (InvoiceChange c : changes) {
      min = Math.min(min, c.getSource().getLsn());
      max = Math.max(max, c.getSource().getLsn());
    }
    if (min < maxLsnPublished) {
      long current = currentEpoch();
      if (current != epoch) {
        log.warn("the issuing database is another cluster now (epoch {} -> {}; positions back from {} to {}): restored from a backup or "
            + "moved; what is published from here on carries the new epoch", epoch, current, maxLsnPublished, min);
        epoch = current;
        maxLsnPublished = Long.MIN_VALUE;
      }
    }
    maxLsnPublished = Math.max(maxLsnPublished, max);
    long e = epoch;
    changes.replaceAll(c -> c.getSource().getEpoch() == e ? c : InvoiceChange.newBuilder(c)
        .setSource(SourcePosition.newBuilder(c.getSource()).setEpoch(e).build()).build());
  }

  private long currentEpoch() {
    for (int attempt = 1; ; attempt++) {
      try {
        if (identity == null || identity.isClosed()) {
          identity = IssuingDatabaseCheck.identityConnection(config);
        }
        return IssuingDatabaseCheck.epoch(identity);
      } catch (SQLException e) {
        close(); // a connection to the database that went away: open a new one, once
        if (attempt == 2) {
          throw new IllegalStateException("positions went back and the issuing cluster cannot be identified again (IDENTIFY_SYSTEM): "
              + e.getMessage() + "; ingest stops rather than publish under a wrong epoch", e);
        }
      }
    }
  }

  /** Closes the kept-open replication connection, if any; a later {@link #follow} opens a new one when it needs it. */
  @Override
  public void close() {
    if (identity != null) {
      try {
        identity.close();
      } catch (SQLException ignored) {
        // closing a connection to a database that went away
      }
      identity = null;
    }
  }
}
