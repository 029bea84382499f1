package io.invoicesync.outcomes.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuleMessagesTest {

  @Test
  void shouldAddAChineseMessageWithTheViolationsValuesOnRequest() {
    Map<String, Object> v = new HashMap<>(Map.of("code", "GRAND_TOTAL_MISMATCH", "field", "grandTotal", "value", "1131.00", "expected", "1130.00",
        "message", "grand total is not total amount + total tax"));

    RuleMessages.localize(List.of(v), RuleMessages.language(null, "zh-CN,zh;q=0.9,en;q=0.8"));

    assertThat(v.get("localizedMessage")).isEqualTo("价税合计与“合计金额＋合计税额”不一致：1131.00，应为 1130.00");
    assertThat(v.get("message")).as("the English message stays").isEqualTo("grand total is not total amount + total tax");
  }

  @Test
  void shouldStayEnglishByDefaultAndForLanguagesWithoutMessages() {
    assertThat(RuleMessages.language(null, null)).isNull();
    assertThat(RuleMessages.language(null, "en-US")).isNull();
    assertThat(RuleMessages.language("fr", null)).isNull();
    assertThat(RuleMessages.language("zh", "en")).isEqualTo("zh");
  }
}
