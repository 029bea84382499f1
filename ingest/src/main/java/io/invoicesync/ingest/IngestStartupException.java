package io.invoicesync.ingest;

/** The issuing database is not set up so that ingest can capture it; the message says what to fix. */
public final class IngestStartupException extends RuntimeException {
  public IngestStartupException(String message) {
    super(message);
  }

  public IngestStartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
