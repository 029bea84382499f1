package io.invoicesync.outcomes.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AgainstExportTest {

  @Test
  void namesCompareAfterWidthSpacesAndBracketKindsAreNormalised() {
    assertThat(AgainstExport.normalName("北京样例（上海）贸易 有限公司")).isEqualTo(AgainstExport.normalName("北京样例(上海)贸易有限公司"));
    assertThat(AgainstExport.normalName("【北京】样例ＡＢＣ公司")).isEqualTo(AgainstExport.normalName("(北京)样例ABC公司"));
    assertThat(AgainstExport.normalName("北京样例贸易有限公司")).isNotEqualTo(AgainstExport.normalName("北京样例商贸有限公司"));
  }

  @Test
  void identityIsTheNumberWithItsCodeAndNeverTheAmount() {
    assertThat(AgainstExport.key(null, "26312000000012345678")).isEqualTo(AgainstExport.key("", "26312000000012345678"));
    assertThat(AgainstExport.key("031002300111", "12345678")).isNotEqualTo(AgainstExport.key("031002300112", "12345678"));
  }
}
