package io.invoicesync.schemas;

/** The values of {@link InvoiceChange}'s {@code op}: what ingest says a change is, and sync-streams reads. */
public final class ChangeOps {

  public static final String CREATE = "CREATE";
  public static final String UPDATE = "UPDATE";
  public static final String DELETE = "DELETE";
  /** Read by the initial snapshot. */
  public static final String SNAPSHOT = "SNAPSHOT";
  /** Re-read on request ('invoice-sync resync': a Debezium incremental snapshot); re-validated and re-emitted even when unchanged. */
  public static final String RESYNC = "RESYNC";

  private ChangeOps() {
  }
}
