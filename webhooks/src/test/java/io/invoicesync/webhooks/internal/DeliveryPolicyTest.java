package io.invoicesync.webhooks.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.webhooks.WebhooksConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeliveryPolicyTest {

  static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");
  static final List<Duration> SVIX = List.of(Duration.ZERO, Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofMinutes(30),
      Duration.ofHours(2), Duration.ofHours(5), Duration.ofHours(10), Duration.ofHours(10));

  static DeliveryPolicy policy(double jitter, double random) {
    return new DeliveryPolicy(SVIX, jitter, Duration.ofDays(5), Duration.ofHours(24), () -> random);
  }

  @Test
  void shouldCallEvery2xxDelivered() {
    for (int status : new int[] {200, 201, 202, 204, 299}) {
      assertThat(policy(0, 0.5).decide(1, DeliveryPolicy.Result.status(status, null), NOW, null)).isInstanceOf(DeliveryPolicy.Delivered.class);
    }
  }

  @Test
  void shouldRetryOnTheScheduleAndGiveUpAfterItsLastAttempt() {
    DeliveryPolicy p = policy(0, 0.5);
    for (int attempt = 1; attempt < SVIX.size(); attempt++) {
      DeliveryPolicy.Verdict v = p.decide(attempt, DeliveryPolicy.Result.status(500, null), NOW, NOW);
      assertThat(v).as("after attempt " + attempt).isEqualTo(new DeliveryPolicy.Retry(NOW.plus(SVIX.get(attempt)), "HTTP 500"));
    }
    assertThat(p.decide(SVIX.size(), DeliveryPolicy.Result.failed("no response within the attempt timeout"), NOW, NOW))
        .isInstanceOf(DeliveryPolicy.Exhausted.class);
  }

  @Test
  void shouldTreatARedirectATimeoutAndARefusalAsFailures() {
    DeliveryPolicy p = policy(0, 0.5);
    assertThat(p.decide(1, DeliveryPolicy.Result.status(301, null), NOW, null)).isInstanceOf(DeliveryPolicy.Retry.class);
    assertThat(p.decide(1, DeliveryPolicy.Result.failed("connection refused or unreachable"), NOW, null)).isInstanceOf(DeliveryPolicy.Retry.class);
  }

  @Test
  void shouldSpreadEachDelayByTheJitterEitherWay() {
    Instant low = ((DeliveryPolicy.Retry) policy(0.2, 0.0).decide(2, DeliveryPolicy.Result.status(500, null), NOW, NOW)).at();
    Instant high = ((DeliveryPolicy.Retry) policy(0.2, 0.999999).decide(2, DeliveryPolicy.Result.status(500, null), NOW, NOW)).at();
    assertThat(Duration.between(NOW, low)).isEqualTo(Duration.ofMinutes(4)); // 5 min - 20%
    assertThat(Duration.between(NOW, high)).isBetween(Duration.ofMinutes(6).minusSeconds(1), Duration.ofMinutes(6));
  }

  @Test
  void shouldHonourRetryAfterOn429And503OnlyAndCapIt() {
    DeliveryPolicy p = policy(0, 0.5);
    assertThat(p.decide(1, DeliveryPolicy.Result.status(429, Duration.ofSeconds(90)), NOW, null))
        .isEqualTo(new DeliveryPolicy.Retry(NOW.plusSeconds(90), "HTTP 429"));
    assertThat(p.decide(1, DeliveryPolicy.Result.status(503, Duration.ofDays(3)), NOW, null))
        .isEqualTo(new DeliveryPolicy.Retry(NOW.plus(Duration.ofHours(24)), "HTTP 503"));
    assertThat(p.decide(1, DeliveryPolicy.Result.status(500, Duration.ofSeconds(90)), NOW, null))
        .as("Retry-After on a 500 is not a promise").isEqualTo(new DeliveryPolicy.Retry(NOW.plusSeconds(5), "HTTP 500"));
  }

  @Test
  void shouldDisableOn410AndAfterFiveDaysOfFailures() {
    DeliveryPolicy p = policy(0, 0.5);
    assertThat(p.decide(1, DeliveryPolicy.Result.status(410, null), NOW, null)).isInstanceOf(DeliveryPolicy.Disable.class);
    assertThat(p.decide(3, DeliveryPolicy.Result.status(500, null), NOW, NOW.minus(Duration.ofDays(5))))
        .isInstanceOf(DeliveryPolicy.Disable.class);
    assertThat(p.decide(3, DeliveryPolicy.Result.status(500, null), NOW, NOW.minus(Duration.ofDays(4))))
        .isInstanceOf(DeliveryPolicy.Retry.class);
  }

  @Test
  void shouldReadTheDefaultScheduleAsSvixDoes() {
    assertThat(new WebhooksConfig(java.util.Map.of("bootstrap.servers", "k:9092", "jdbc.url", "jdbc:postgresql://db/q")).schedule())
        .isEqualTo(SVIX);
  }
}
