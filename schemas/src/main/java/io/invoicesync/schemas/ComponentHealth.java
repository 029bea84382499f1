package io.invoicesync.schemas;

import java.util.Map;

/**
 * What a component says about itself to the process that hosts it: whether it can do its work
 * now ({@link Status#UP}), is riding out an outage of something it depends on (it recovers on its
 * own; readiness is red meanwhile), or has failed for good (the process should end so that an
 * orchestrator restarts it).
 *
 * @param status  the verdict
 * @param state   the component's own state word (a Kafka Streams state, {@code STREAMING}, {@code OUTAGE}, ...)
 * @param details what an operator reads next: lag, outage start, the failure's message
 */
public record ComponentHealth(Status status, String state, Map<String, Object> details) {

  public enum Status {
    /** Starting up: not ready yet, nothing wrong. */
    STARTING,
    /** Doing its work. */
    UP,
    /** A dependency is unreachable; retrying in place with back-off. */
    OUTAGE,
    /** Stopped on an error it cannot recover from. */
    FAILED,
    /** Stopped on request. */
    STOPPED
  }

  public ComponentHealth {
    details = Map.copyOf(details);
  }

  public boolean ready() {
    return status == Status.UP;
  }

  public static ComponentHealth failed(String state, Throwable cause) {
    return new ComponentHealth(Status.FAILED, state, Map.of("failure", describe(cause)));
  }

  /** The failure's class and message, and its root cause's, without a stack. */
  public static String describe(Throwable cause) {
    if (cause == null) {
      return "stopped without an error";
    }
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String own = cause.getClass().getSimpleName() + ": " + withoutRowData(cause.getMessage());
    return root == cause ? own : own + " (caused by " + root.getClass().getSimpleName() + ": " + withoutRowData(root.getMessage()) + ")";
  }

  /** A database message without the row it quotes (PostgreSQL's "Detail: Failing row contains (...)" carries buyers' data). */
  static String withoutRowData(String message) {
    if (message == null) {
      return "";
    }
    int cut = message.length();
    for (String marker : new String[] {"Detail:", "Failing row contains", "\n  Where:"}) {
      int i = message.indexOf(marker);
      if (i >= 0) {
        cut = Math.min(cut, i);
      }
    }
    return message.substring(0, cut).strip();
  }
}
