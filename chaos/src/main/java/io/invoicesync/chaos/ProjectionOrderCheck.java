package io.invoicesync.chaos;

import io.invoicesync.schemas.AuditEvent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The checks the parked-retry scenarios make on each invoice's projector decisions (in the order of
 * {@code invoices.projection}), beyond what the judge sees: versions projected in order, retry
 * attempts counted on across a restart.
 */
final class ProjectionOrderCheck {

  private ProjectionOrderCheck() {
  }

  /**
   * What breaks those promises in {@code byInvoice} (per invoice id, its decisions in order): version 2
   * projected before version 1, or the RETRIED attempts of version 1 not strictly increasing (counted
   * from 1 again, as after a restart that forgot them). One message per invoice and check, naming the
   * invoice and listing its decisions.
   */
  static List<String> violations(Map<String, List<ProjectorDecision>> byInvoice) {
    List<String> found = new ArrayList<>();
    byInvoice.forEach((id, decisions) -> {
      if (projectedV2BeforeV1(decisions)) {
        found.add(id + " projected v2 before v1: " + describe(decisions));
      }
      if (!retryAttemptsIncrease(decisions)) {
        found.add(id + " retry attempts started again: " + describe(decisions));
      }
    });
    return found;
  }

  /** True when every one of {@code ids} has a decision that {@code wanted} accepts (a RETRIED; a PROJECTED v2). */
  static boolean everyHas(Map<String, List<ProjectorDecision>> byInvoice, Collection<String> ids, Predicate<ProjectorDecision> wanted) {
    return ids.stream().allMatch(id -> byInvoice.getOrDefault(id, List.of()).stream().anyMatch(wanted));
  }

  /** The decisions as the scenarios print them: {@code RETRIED v1 attempt 1, PROJECTED v1, PROJECTED v2}. */
  static String describe(List<ProjectorDecision> decisions) {
    return decisions.stream().map(ProjectorDecision::toString).collect(Collectors.joining(", "));
  }

  /** Version 1 projected, but only after version 2 was (a version 1 never projected is not counted here). */
  private static boolean projectedV2BeforeV1(List<ProjectorDecision> decisions) {
    int v2 = firstIndex(decisions, AuditEvent.PROJECTED, 2);
    return v2 >= 0 && firstIndex(decisions, AuditEvent.PROJECTED, 1) > v2;
  }

  private static boolean retryAttemptsIncrease(List<ProjectorDecision> decisions) {
    int last = 0;
    for (ProjectorDecision d : decisions) {
      if (d.is(AuditEvent.RETRIED, 1) && d.attempt() != null) {
        if (d.attempt() <= last) {
          return false;
        }
        last = d.attempt();
      }
    }
    return true;
  }

  /** The index of the first decision that is {@code event} about {@code version}; -1 when there is none. */
  private static int firstIndex(List<ProjectorDecision> decisions, AuditEvent event, int version) {
    for (int i = 0; i < decisions.size(); i++) {
      if (decisions.get(i).is(event, version)) {
        return i;
      }
    }
    return -1;
  }
}
