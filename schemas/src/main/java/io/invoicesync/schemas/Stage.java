package io.invoicesync.schemas;

/**
 * The stage that decided what an audit entry records ({@code AuditEntry.stage}) or that sent a
 * record to a dead-letter topic ({@code invoicesync.dlt.stage}). Its {@link #id} is what the topics
 * and the outcome tables carry. Entries written before AuditEntry v2 carry no stage: sync-streams
 * wrote all of them, and every reader here says so through {@link #idOf(String)}.
 */
public enum Stage {
  SYNC_STREAMS("sync-streams"),
  PROJECTOR("projector");

  private final String id;

  Stage(String id) {
    this.id = id;
  }

  /** The name on the wire: {@code sync-streams}, {@code projector}. */
  public String id() {
    return id;
  }

  /** True when this stage decided {@code entry}. */
  public boolean decided(AuditEntry entry) {
    return id.equals(idOf(entry.getStage()));
  }

  /** A stored or sent stage id as readers show it: null (an entry before v2) is sync-streams; other ids are kept as written. */
  public static String idOf(String stage) {
    return stage == null ? SYNC_STREAMS.id : stage;
  }

  /** The id of the stage that decided {@code entry}, as trace and audit show it. */
  public static String idOf(AuditEntry entry) {
    return idOf(entry.getStage());
  }

  @Override
  public String toString() {
    return id;
  }
}
