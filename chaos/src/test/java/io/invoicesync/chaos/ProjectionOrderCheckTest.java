package io.invoicesync.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.AuditEvent;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The order and attempt checks of the parked-retry scenarios, on projector decisions written out by hand. */
class ProjectionOrderCheckTest {

  private static ProjectorDecision retried(int version, int attempt) {
    return new ProjectorDecision(AuditEvent.RETRIED, version, attempt);
  }

  private static ProjectorDecision projected(int version) {
    return new ProjectorDecision(AuditEvent.PROJECTED, version, null);
  }

  @Test
  void shouldPassVersionsProjectedInOrderWithAttemptsCountedOn() {
    // Given retries of v1 counted on across a restart, then v1 and v2 projected in order
    Map<String, List<ProjectorDecision>> byInvoice = Map.of("chaos-parked-1",
        List.of(retried(1, 1), retried(1, 2), retried(1, 3), projected(1), projected(2)));

    // When / Then
    assertThat(ProjectionOrderCheck.violations(byInvoice)).isEmpty();
  }

  @Test
  void shouldFailVersionTwoProjectedBeforeVersionOne() {
    // Given v2 made visible while v1 still waited on the retry topic
    Map<String, List<ProjectorDecision>> byInvoice = Map.of("chaos-parked-2", List.of(retried(1, 1), projected(2), projected(1)));

    // When
    List<String> violations = ProjectionOrderCheck.violations(byInvoice);

    // Then
    assertThat(violations).containsExactly("chaos-parked-2 projected v2 before v1: RETRIED v1 attempt 1, PROJECTED v2, PROJECTED v1");
  }

  @Test
  void shouldFailRetryAttemptsStartingAgain() {
    // Given a restart that forgot the attempts made before it
    Map<String, List<ProjectorDecision>> byInvoice = Map.of("chaos-parked-3",
        List.of(retried(1, 1), retried(1, 2), retried(1, 1), projected(1), projected(2)));

    // When
    List<String> violations = ProjectionOrderCheck.violations(byInvoice);

    // Then
    assertThat(violations).containsExactly("chaos-parked-3 retry attempts started again: "
        + "RETRIED v1 attempt 1, RETRIED v1 attempt 2, RETRIED v1 attempt 1, PROJECTED v1, PROJECTED v2");
  }

  @Test
  void shouldWaitUntilEveryInvoiceHasTheDecisionWanted() {
    // Given one invoice retried and projected at v2, the other only retried
    Map<String, List<ProjectorDecision>> byInvoice = Map.of("a", List.of(retried(1, 1), projected(1), projected(2)), "b", List.of(retried(1, 1)));

    // When / Then
    assertThat(ProjectionOrderCheck.everyHas(byInvoice, List.of("a", "b"), d -> d.event() == AuditEvent.RETRIED)).isTrue();
    assertThat(ProjectionOrderCheck.everyHas(byInvoice, List.of("a", "b"), d -> d.is(AuditEvent.PROJECTED, 2))).isFalse();
    assertThat(ProjectionOrderCheck.everyHas(byInvoice, List.of("a", "c"), d -> d.event() == AuditEvent.RETRIED)).as("c has no decision").isFalse();
  }
}
