package io.invoicesync.schemas;

/**
 * How source positions are ordered, in Java and in the query store's SQL alike: by epoch (the
 * issuing cluster's generation, see {@link SourcePosition}), then by LSN; when either side's epoch
 * is 0 (captured before epochs existed) or both are equal, by LSN alone. A database restored from a
 * backup or moved to a new cluster starts again at lower LSNs under a higher epoch, and its changes
 * still order after everything read before.
 */
public final class Positions {

  private Positions() {
  }

  public static int compare(long epochA, long lsnA, long epochB, long lsnB) {
    if (epochA != 0 && epochB != 0 && epochA != epochB) {
      return Long.compare(epochA, epochB);
    }
    return Long.compare(lsnA, lsnB);
  }

  public static int compare(SourcePosition a, SourcePosition b) {
    return compare(a.getEpoch(), a.getLsn(), b.getEpoch(), b.getLsn());
  }

  /**
   * SQL: whether the position in columns {@code a.source_epoch, a.source_lsn} is before ({@code <})
   * or not after ({@code <=}) the one in {@code b}'s; {@code a} and {@code b} are table names or aliases.
   */
  public static String sql(String a, String op, String b) {
    if (!op.equals("<") && !op.equals("<=") && !op.equals("=")) {
      throw new IllegalArgumentException("position comparison " + op);
    }
    String lsn = a + ".source_lsn " + op + " " + b + ".source_lsn";
    String sameEpoch = "(" + a + ".source_epoch = 0 OR " + b + ".source_epoch = 0 OR " + a + ".source_epoch = " + b + ".source_epoch)";
    if (op.equals("=")) {
      return "(" + sameEpoch + " AND " + lsn + ")";
    }
    return "(CASE WHEN " + sameEpoch + " THEN " + lsn + " ELSE " + a + ".source_epoch < " + b + ".source_epoch END)";
  }
}
