package io.invoicesync.streams.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ThreadReplacementBudgetTest {

  @Test
  void replacesAFewTimesInAWindowThenGivesUpAndForgetsOldFailures() {
    AtomicLong now = new AtomicLong(0);
    ThreadReplacementBudget budget = new ThreadReplacementBudget(3, Duration.ofMinutes(5), now::get);
    assertThat(budget.replace()).isTrue();
    now.addAndGet(1000);
    assertThat(budget.replace()).isTrue();
    assertThat(budget.replace()).isTrue();
    assertThat(budget.replace()).as("a fourth failure within 5 minutes: for good").isFalse();
    now.addAndGet(Duration.ofMinutes(6).toMillis());
    assertThat(budget.replace()).as("old failures age out").isTrue();
  }
}
