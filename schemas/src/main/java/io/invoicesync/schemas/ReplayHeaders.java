package io.invoicesync.schemas;

/**
 * Headers {@code invoice-sync dlt replay} puts on a record it sends back to its original topic, so
 * the stage that processes it again can say, in the audit trail, that it was a replay and of which run.
 */
public final class ReplayHeaders {

  /** How many times this record has been replayed, this time included. */
  public static final String COUNT = "invoicesync.replay.count";
  /** The dead letter's coordinates (topic-partition@offset) this record was replayed from. */
  public static final String SOURCE = "invoicesync.replay.source";
  public static final String BY = "invoicesync.replay.by";
  public static final String AT = "invoicesync.replay.at";
  /** The replay run's id, as recorded on {@code invoice-sync.replays}. */
  public static final String RUN = "invoicesync.replay.run";

  private ReplayHeaders() {
  }
}
