package io.invoicesync.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The judge's decision: each way a scenario could pass by accident fails it, with the reason named. */
class VerdictTest {

  static Judge.Verdict verdict(long lost, long invalidNotRejected) {
    return new Judge.Verdict(lost, 0, 0, 0, 0, 0, 0, 12, 0, 400, 388, List.of(), invalidNotRejected);
  }

  static ScenarioRunner.Result result(Judge.Verdict v, long issuedDuringFaults, List<Boolean> effects, boolean loadDied, double... recoveries) {
    List<Double> r = new ArrayList<>();
    Arrays.stream(recoveries).forEach(r::add);
    return new ScenarioRunner.Result(Scenario.STORE_OUTAGE, effects.size(), 400, v, r, 0, 60, "", issuedDuringFaults, effects, loadDied);
  }

  @Test
  void aCleanRoundWithLoadAndAFaultThatTookEffectPasses() {
    ScenarioRunner.Result r = result(verdict(0, 0), 80, List.of(true, true), false, 3.0, 4.0);
    assertThat(r.failures()).isEmpty();
    assertThat(r.passed()).isTrue();
  }

  @Test
  void noInvoiceIssuedDuringTheFaultsFails() {
    assertThat(result(verdict(0, 0), 0, List.of(true), false, 3.0).failures()).containsExactly(
        "no invoice was issued during the faults: nothing was at stake");
  }

  @Test
  void aFaultThatDidNotTakeEffectFails() {
    ScenarioRunner.Result r = result(verdict(0, 0), 80, List.of(true, false), false, 3.0, 1.0);
    assertThat(r.passed()).isFalse();
    assertThat(r.failures()).containsExactly("1 of 2 faults did not take effect");
    // a fault without its own check (a data fault: its checks are the verdict's) neither passes nor fails on that count
    assertThat(result(verdict(0, 0), 80, java.util.Collections.singletonList(null), false, 3.0).failures()).isEmpty();
  }

  @Test
  void aDeadLoadGeneratorFails() {
    assertThat(result(verdict(0, 0), 80, List.of(true), true, 3.0).failures()).containsExactly("the load generator died");
  }

  @Test
  void anInvalidInvoiceNotRejectedWithItsRuleFailsLikeALostOne() {
    assertThat(verdict(0, 1).clean()).isFalse();
    assertThat(result(verdict(0, 1), 80, List.of(true), false, 3.0).failures()).hasSize(1).first().asString().contains("invalid ones not rejected");
    assertThat(result(verdict(1, 0), 80, List.of(true), false, 3.0).passed()).isFalse();
  }

  @Test
  void noVerdictOrNoRecoveryOrAnExitFails() {
    assertThat(result(null, 80, List.of(true), false, 3.0).failures()).containsExactly("no verdict: the judge did not run");
    assertThat(result(verdict(0, 0), 80, List.of(true), false, -1.0).failures()).containsExactly("a round did not recover within 5 minutes");
    ScenarioRunner.Result exited = new ScenarioRunner.Result(Scenario.KILL_STREAMS, 1, 400, verdict(0, 0), List.of(2.0), 1, 60, "", 50,
        List.of(true), false);
    assertThat(exited.failures()).containsExactly("1 process(es) exited on a fault they should have ridden out");
  }

  @Test
  void aScenarioNotBuiltNeitherPassesNorFails() {
    ScenarioRunner.Result r = new ScenarioRunner.Result(Scenario.REGISTRY_OUTAGE, 0, 0, null, List.of(), 0, 0, "not applicable", 0,
        List.of(), false);
    assertThat(r.passed()).isNull();
    assertThat(r.failures()).isEmpty();
  }
}
