package io.invoicesync.schemas;

/**
 * Headers of records on a retry topic (besides the {@link DeadLetterHeaders} provenance, which
 * travel with a record through its retries and into the DLT).
 */
public final class RetryHeaders {

  /** Failed attempts so far; 0 for a record parked behind an earlier one of the same key. */
  public static final String ATTEMPT = "invoicesync.retry.attempt";
  /** Epoch millis before which the record is not tried again. */
  public static final String DUE = "invoicesync.retry.due";

  private RetryHeaders() {
  }
}
