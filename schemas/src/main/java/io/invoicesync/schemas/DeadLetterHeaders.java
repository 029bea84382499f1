package io.invoicesync.schemas;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;
import org.apache.kafka.common.header.Headers;

/**
 * Provenance headers every dead letter carries (ARCHITECTURE.md, "Error taxonomy"), so operators
 * can see where it came from and replay it. Values are UTF-8 strings; times are epoch millis.
 */
public final class DeadLetterHeaders {

  public static final String ORIGINAL_TOPIC = "invoicesync.dlt.original.topic";
  public static final String ORIGINAL_PARTITION = "invoicesync.dlt.original.partition";
  public static final String ORIGINAL_OFFSET = "invoicesync.dlt.original.offset";
  public static final String ORIGINAL_TIMESTAMP = "invoicesync.dlt.original.timestamp";
  public static final String ORIGINAL_KEY = "invoicesync.dlt.original.key";
  public static final String EXCEPTION_CLASS = "invoicesync.dlt.exception.class";
  public static final String EXCEPTION_MESSAGE = "invoicesync.dlt.exception.message";
  /** Class of the innermost cause (e.g. the PSQLException inside a BatchUpdateException). */
  public static final String EXCEPTION_CAUSE_CLASS = "invoicesync.dlt.exception.cause.class";
  public static final String EXCEPTION_STACKTRACE = "invoicesync.dlt.exception.stacktrace";
  public static final String STAGE = "invoicesync.dlt.stage";
  public static final String ATTEMPTS = "invoicesync.dlt.attempts";
  public static final String FIRST_FAILURE_TIMESTAMP = "invoicesync.dlt.first.failure.timestamp";

  /** Stack traces are cut to this many characters so a dead letter stays small. */
  public static final int MAX_STACKTRACE_CHARS = 4000;

  private DeadLetterHeaders() {
  }

  /** Sets {@code key} to {@code value} (UTF-8), replacing any earlier value. */
  public static void set(Headers h, String key, String value) {
    h.remove(key);
    h.add(key, value.getBytes(StandardCharsets.UTF_8));
  }

  /** Sets {@code key} only when the record does not carry it yet. */
  public static void setIfAbsent(Headers h, String key, String value) {
    if (h.lastHeader(key) == null) {
      set(h, key, value);
    }
  }

  /**
   * Where the record was read. With {@code keepExisting}, coordinates already present stay: a
   * record moving through retries into a DLT keeps those of its first failure.
   */
  public static void setOrigin(Headers h, String topic, String partition, String offset, long timestamp,
                               String key, boolean keepExisting) {
    BiConsumer<String, String> put = keepExisting ? (k, v) -> setIfAbsent(h, k, v) : (k, v) -> set(h, k, v);
    put.accept(ORIGINAL_TOPIC, topic);
    put.accept(ORIGINAL_PARTITION, partition);
    put.accept(ORIGINAL_OFFSET, offset);
    put.accept(ORIGINAL_TIMESTAMP, Long.toString(timestamp));
    put.accept(ORIGINAL_KEY, key == null ? "" : key);
  }

  /** What failed: exception class, root-cause class, message, bounded stack trace; personal data in them masked ({@link Pii}). */
  public static void setFailure(Headers h, Throwable e, String message) {
    set(h, EXCEPTION_CLASS, e.getClass().getName());
    set(h, EXCEPTION_CAUSE_CLASS, rootCause(e).getClass().getName());
    set(h, EXCEPTION_MESSAGE, Pii.mask(message));
    set(h, EXCEPTION_STACKTRACE, Pii.mask(boundedStackTrace(e)));
  }

  /** The innermost cause of {@code t} (t itself when it has none). */
  public static Throwable rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c;
  }

  /** The exception's stack trace with its causes, at most {@link #MAX_STACKTRACE_CHARS} characters. */
  public static String boundedStackTrace(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    String s = w.toString();
    return s.length() <= MAX_STACKTRACE_CHARS ? s : s.substring(0, MAX_STACKTRACE_CHARS) + "\n... (truncated)";
  }
}
