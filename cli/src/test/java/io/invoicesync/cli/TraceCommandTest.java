package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.outcomes.view.AuditEntryView;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TraceCommandTest {

  static final AuditEntryView APPLIED = new AuditEntryView("APPLIED", "sync-streams", 1, null, 24863584L, "2026-11-27T11:18:17.922Z",
      "2026-11-27T11:18:18.064Z", null, "2026-11-27T11:18:18.170Z", 0, 0, "00cf", null, null, null, null);
  static final AuditEntryView RETRIED = new AuditEntryView("RETRIED", "projector", 1, "invoice t-retry is blocked by the test", 24863584L,
      "2026-11-27T11:18:17.922Z", null, "2026-11-27T11:18:18.700Z", "2026-11-27T11:18:18.757Z", 0, 2, "eb3a", "00cf", null, null, null);

  static Map<String, Object> trace(Object history) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("invoiceId", "t-retry");
    t.put("outcome", "IN_FLIGHT");
    t.put("timeline", Map.of());
    t.put("history", history);
    return t;
  }

  static String table(Map<String, Object> trace) {
    StringWriter out = new StringWriter();
    TraceCommand.printTable(new PrintWriter(out), trace);
    return out.toString();
  }

  @Test
  void shouldPrintTheSameHistoryFromTheStoreAndFromTheApi() throws Exception {
    // Given the same trace as the store gives it (records) and as the API sends it (JSON)
    List<AuditEntryView> fromStore = List.of(APPLIED, RETRIED);
    ObjectMapper json = new ObjectMapper();
    Object fromApi = json.readValue(json.writeValueAsString(fromStore), List.class);

    // When each is printed, Then the tables are the same and show each entry
    String table = table(trace(fromStore));
    assertThat(table(trace(fromApi))).isEqualTo(table);
    assertThat(table).contains("history:").contains("2026-11-27T11:18:18.757Z").contains("projector").contains("RETRIED")
        .contains("24863584").contains("blocked by the test");
  }

  @Test
  void shouldPrintNoHistoryForATraceWithout() {
    assertThat(table(trace(List.of()))).doesNotContain("history:");
    assertThat(table(trace(null))).doesNotContain("history:");
  }
}
