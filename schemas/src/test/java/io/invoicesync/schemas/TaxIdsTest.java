package io.invoicesync.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TaxIdsTest {

  @ParameterizedTest
  @ValueSource(strings = {"91350100M000100Y43", "91110108551385082Q", "91310000MA1FL4XQ3A"})
  void shouldAcceptTheWorkedUsccExamples(String uscc) {
    assertThat(TaxIds.isValidUscc(uscc)).isTrue();
    assertThat(TaxIds.problem(uscc)).isNull();
  }

  @Test
  void shouldMapARemainderOfZeroToZeroNotY() {
    // Σ = 0 (mod 31): the check character is ALPHA[(31 - 0) mod 31] = '0'
    assertThat(TaxIds.usccCheckChar("91110108551380018")).isEqualTo('0');
    assertThat(TaxIds.isValidUscc("911101085513800180")).isTrue();
    assertThat(TaxIds.isValidUscc("91110108551380018Y")).isFalse();
  }

  @Test
  void shouldReportChecksumForAWellFormedUsccWithAWrongCheckCharacter() {
    assertThat(TaxIds.problem("91350100M000100Y44")).isEqualTo("CHECKSUM");
  }

  @Test
  void shouldReportFormatForCharactersOutsideTheUsccAlphabet() {
    assertThat(TaxIds.problem("91350100M000100I43")).isEqualTo("FORMAT"); // I is not in the alphabet
    assertThat(TaxIds.problem("1234")).isEqualTo("FORMAT");
  }

  @Test
  void shouldNotMistakeAMistypedAllDigitUsccForAResidentId() {
    // passes the mod-11 check, but 91 is no province and 39000000 no birth date
    assertThat(TaxIds.isValidResidentId("912001390000000000")).isFalse();
    assertThat(TaxIds.problem("912001390000000000")).isEqualTo("CHECKSUM");
  }

  @Test
  void shouldAcceptAResidentIdWithXCheckAndOtherTaxpayerIdLengths() {
    assertThat(TaxIds.isValidResidentId("11010519491231002X")).isTrue();
    assertThat(TaxIds.problem("11010519491231002X")).isNull();
    assertThat(TaxIds.problem("110105123456789")).isNull(); // 15: region code + organisation code
    assertThat(TaxIds.problem("11010519491231002X01")).isNull(); // 20: 18-digit id + 2-digit suffix
  }
}
