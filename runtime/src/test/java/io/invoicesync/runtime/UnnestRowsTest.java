package io.invoicesync.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import org.junit.jupiter.api.Test;

class UnnestRowsTest {

  private static final String[][] COLUMNS = {{"id", "varchar"}, {"amount", "numeric"}, {"issued", "date"}};

  @Test
  void shouldBuildOneRowSourceWithEachArrayCastToItsColumnsType() {
    assertThat(UnnestRows.unnest(COLUMNS)).isEqualTo("unnest(?::varchar[], ?::numeric[], ?::date[]) AS u(id, amount, issued)");
    assertThat(UnnestRows.names(COLUMNS)).isEqualTo("id, amount, issued");
  }

  @Test
  void shouldKeepValuesInTheirExactSqlTextAndNullsAsNull() {
    assertThat(UnnestRows.text(new BigDecimal("1E+3"))).as("never scientific notation").isEqualTo("1000");
    assertThat(UnnestRows.text(new BigDecimal("0.10"))).as("scale kept").isEqualTo("0.10");
    assertThat(UnnestRows.text(LocalDate.of(2026, 11, 24))).isEqualTo("2026-11-24");
    assertThat(UnnestRows.text(LocalDateTime.of(2026, 11, 24, 10, 0, 5))).isEqualTo("2026-11-24T10:00:05");
    assertThat(UnnestRows.text(Instant.parse("2026-11-24T08:00:00.600Z"))).isEqualTo("2026-11-24T08:00:00.600Z");
    assertThat(UnnestRows.text(Boolean.FALSE)).isEqualTo("false");
    assertThat(UnnestRows.text(null)).isNull();
  }

  @Test
  void shouldRefuseARowThatDoesNotFitTheColumnsNamingThem() {
    UnnestRows rows = new UnnestRows(COLUMNS, 2);
    rows.add("a", BigDecimal.ONE, null);

    assertThat(rows.rows()).isEqualTo(1);
    assertThatThrownBy(() -> rows.add("b", BigDecimal.ONE)).hasMessageContaining("2 values for 3 columns (id, amount, issued)");
  }
}
