package io.invoicesync.outcomes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WhereTest {

  static final Tenant TWO = Tenant.of(Set.of("B2", "A1"));

  @Test
  void shouldPutTheTenantConditionFirstAndItsTaxIdsFirstAmongTheArguments() {
    // Given a tenant of two taxpayers
    // When a reader adds filters to its condition
    Where w = TWO.where("seller_tax_id", "buyer_tax_id").and("issue_date >= ?", LocalDate.of(2026, 11, 1)).and("status = ?", "ISSUED");

    // Then the tenant's term comes first, in the SQL and in the arguments
    assertThat(w.sql()).isEqualTo("(seller_tax_id = ANY (?) OR buyer_tax_id = ANY (?)) AND issue_date >= ? AND status = ?");
    assertThat(w.args()).hasSize(4);
    assertThat((String[]) w.args().get(0)).containsExactlyInAnyOrder("A1", "B2");
    assertThat((String[]) w.args().get(1)).containsExactlyInAnyOrder("A1", "B2");
    assertThat(w.args().subList(2, 4)).containsExactly(LocalDate.of(2026, 11, 1), "ISSUED");
  }

  @Test
  void shouldMatchTheSellerOnlyForTablesThatRecordNoBuyer() {
    Where w = TWO.where("o.seller_tax_id");

    assertThat(w.sql()).isEqualTo("o.seller_tax_id = ANY (?)");
    assertThat(w.args()).hasSize(1);
    assertThat((String[]) w.args().get(0)).containsExactlyInAnyOrder("A1", "B2");
  }

  @Test
  void shouldAddNoConditionForATenantOfAllTaxpayers() {
    assertThat(Tenant.ALL.where("seller_tax_id", "buyer_tax_id").sql()).isEqualTo("true");
    assertThat(Tenant.ALL.where("seller_tax_id").args()).isEmpty();

    Where w = Tenant.ALL.where("seller_tax_id", "buyer_tax_id").and("id = ?", "inv-1");
    assertThat(w.sql()).isEqualTo("id = ?");
    assertThat(w.args()).containsExactly("inv-1");
  }

  @Test
  void shouldSkipAnOptionalFilterWithoutValueAndApplyOneWithIt() {
    Where base = Tenant.ALL.where("seller_tax_id", "buyer_tax_id").and("invoice_number = ?", "26442000000000000777");

    Where noCode = base.andIfPresent("invoice_code = ?", null);
    Where withCode = base.andIfPresent("invoice_code = ?", "044001900111");

    assertThat(noCode.sql()).isEqualTo("invoice_number = ?");
    assertThat(withCode.sql()).isEqualTo("invoice_number = ? AND invoice_code = ?");
    assertThat(withCode.args()).containsExactly("26442000000000000777", "044001900111");
  }

  @Test
  void shouldLeaveTheConditionItWasBuiltFromUnchanged() {
    Where base = TWO.where("seller_tax_id");

    Where narrower = base.and("status = ?", "ISSUED");

    assertThat(base.sql()).isEqualTo("seller_tax_id = ANY (?)");
    assertThat(base.args()).hasSize(1);
    assertThat(narrower.args()).hasSize(2);
  }

  @Test
  void shouldKeepAnExplicitNullArgumentOfAMandatoryTerm() {
    Where w = Where.always().and("(?::text IS NULL OR invoice_code = ?)", null, null);

    assertThat(w.args()).containsExactly(null, null);
  }

  @Test
  void shouldRefuseATermWhosePlaceholdersDoNotMatchItsArguments() {
    assertThatThrownBy(() -> Where.always().and("(issue_date, id) < (?, ?)", LocalDate.of(2026, 11, 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(issue_date, id) < (?, ?)")
        .hasMessageContaining("2 placeholder(s) but 1 argument(s)");
    assertThatThrownBy(() -> Where.always().and(" ")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldBindInOrderTaxIdsAsTextArraysAndReturnTheNextIndex() throws Exception {
    // Given a condition with the tenant's ids and a filter
    Where w = Tenant.of(Set.of("A1")).where("seller_tax_id", "buyer_tax_id").and("status = ?", "ISSUED");
    List<String> calls = new ArrayList<>();

    // When it is bound
    int next = w.bind(recording(calls));

    // Then the ids go in as text[] parameters 1 and 2, the filter as parameter 3, and a LIMIT would be 4
    assertThat(calls).containsExactly("setArray 1 text[A1]", "setArray 2 text[A1]", "setObject 3 ISSUED");
    assertThat(next).isEqualTo(4);
    assertThat(Tenant.ALL.where("seller_tax_id").bind(recording(calls))).isEqualTo(1);
  }

  @Test
  void shouldNameNeitherTaxIdsNorValuesWhenPrinted() {
    Where w = TWO.where("seller_tax_id").and("invoice_number = ?", "26442000000000000777");

    assertThat(w.toString()).contains("seller_tax_id = ANY (?) AND invoice_number = ?").contains("2 args")
        .doesNotContain("A1", "26442000000000000777");
  }

  /** A statement that records the parameters bound to it; its connection makes text arrays. */
  static PreparedStatement recording(List<String> calls) {
    Connection connection = (Connection) Proxy.newProxyInstance(WhereTest.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          if (method.getName().equals("createArrayOf")) {
            String label = args[0] + Arrays.toString((Object[]) args[1]);
            return Proxy.newProxyInstance(WhereTest.class.getClassLoader(), new Class<?>[] {Array.class},
                (p, m, a) -> m.getName().equals("toString") ? label : null);
          }
          throw new UnsupportedOperationException(method.getName());
        });
    return (PreparedStatement) Proxy.newProxyInstance(WhereTest.class.getClassLoader(), new Class<?>[] {PreparedStatement.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getConnection" -> connection;
          case "setArray", "setObject" -> {
            calls.add(method.getName() + " " + args[0] + " " + args[1]);
            yield null;
          }
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }
}
