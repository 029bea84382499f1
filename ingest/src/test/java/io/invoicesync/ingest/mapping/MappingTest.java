package io.invoicesync.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import org.junit.jupiter.api.Test;

class MappingTest {

  private static final String MINIMAL = """
      version: 1
      header: {table: skj.fp_kj, key: [fpdm, fphm]}
      lines: {table: skj.fp_mx, join: {fpdm: fpdm, fphm: fphm}, order: [xh]}
      invoice:
        id: {concat: [fpdm, fphm], separator: "-"}
        status: {column: zfbz, map: {0: ISSUED, 1: VOIDED}}
        issueDate: {column: kprq, format: yyyyMMdd}
        totalTax: {column: hjse, scale: 2}
        invoiceType: {constant: DIGITAL_GENERAL}
      line:
        lineNo: xh
        taxRate: {column: sl, percent: true}
      """;

  @Test
  void theReferenceMappingNamesEveryFieldOfTheReferenceSchema() {
    Mapping m = Mapping.reference();
    assertThat(m.header()).hasToString("issuing.invoice");
    assertThat(m.lines()).hasToString("issuing.invoice_line");
    assertThat(m.key()).containsExactly("id");
    assertThat(m.join()).containsExactly(java.util.Map.entry("invoice_id", "id"));
    assertThat(m.invoice().keySet()).as("every Invoice field").containsExactlyInAnyOrder(
        java.util.Arrays.stream(Target.values()).filter(t -> !t.line).toArray(Target[]::new));
    assertThat(m.line().keySet()).as("every InvoiceLine field").containsExactlyInAnyOrder(
        java.util.Arrays.stream(Target.values()).filter(t -> t.line).toArray(Target[]::new));
    assertThat(m.headerColumns()).contains("id", "invoice_number", "seller_tax_id", "red_reason");
    assertThat(m.lineColumns()).startsWith("invoice_id", "line_no");
  }

  @Test
  void readsColumnsConstantsConcatenationsAndTheirOptions() throws Exception {
    Mapping m = Mapping.parse(MINIMAL, "minimal");
    assertThat(m.invoice().get(Target.ID)).isEqualTo(new Expr.Concat(List.of(Expr.Column.of("fpdm"), Expr.Column.of("fphm")), "-"));
    Expr.Column status = (Expr.Column) m.invoice().get(Target.STATUS);
    assertThat(status.map()).containsEntry("0", "ISSUED").containsEntry("1", "VOIDED");
    assertThat(((Expr.Column) m.invoice().get(Target.ISSUE_DATE)).format()).isEqualTo("yyyyMMdd");
    assertThat(((Expr.Column) m.invoice().get(Target.TOTAL_TAX)).scale()).isEqualTo(2);
    assertThat(m.invoice().get(Target.INVOICE_TYPE)).isEqualTo(new Expr.Constant("DIGITAL_GENERAL"));
    assertThat(((Expr.Column) m.line().get(Target.TAX_RATE)).percent()).isTrue();
    assertThat(m.invoice()).as("a field not named is absent, not guessed").doesNotContainKey(Target.INVOICE_NUMBER);
    assertThat(m.headerColumns()).as("the key, the join, then the fields").containsExactly("fpdm", "fphm", "kprq", "hjse", "zfbz");
  }

  @Test
  void aBrokenMappingNamesEveryProblemWithItsPlaceInTheFile() {
    String broken = MINIMAL.replace("status: {column: zfbz", "statuss: {column: zfbz")  // a field Invoice does not have
        .replace("header: {table: skj.fp_kj,", "header: {table: fp_kj,")                 // not schema-qualified
        .replace("lineNo: xh", "lineNo: {column: xh, colour: red}");                     // an option that does not exist
    Mapping.Invalid e = catchThrowableOfType(Mapping.Invalid.class, () -> Mapping.parse(broken, "broken.yaml"));
    assertThat(e.getMessage()).startsWith("broken.yaml: ");
    assertThat(String.join("\n", e.problems())).contains("statuss", "header.table", "line.lineNo");
    assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("line.lineNo: not a value").contains("unknown option 'colour'"));
    assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("invoice").contains("status"));
  }

  @Test
  void anOptionForAnotherKindOfFieldIsRefusedNamingTheField() {
    String wrong = MINIMAL.replace("status: {column: zfbz, map: {0: ISSUED, 1: VOIDED}}", "status: {column: zfbz, format: yyyyMMdd}")
        .replace("issueDate: {column: kprq, format: yyyyMMdd}", "issueDate: {column: kprq, format: 'yyyyMMbb'}");
    Mapping.Invalid e = catchThrowableOfType(Mapping.Invalid.class, () -> Mapping.parse(wrong, "x"));
    assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("invoice.status: 'format' is for a date or timestamp"));
    assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("invoice.issueDate: format 'yyyyMMbb' is not a date pattern"));
  }

  @Test
  void anIdFromColumnsTheLinesDoNotJoinOnIsRefusedForALineCouldNotBeAttributed() {
    Mapping.Invalid e = catchThrowableOfType(Mapping.Invalid.class, () -> Mapping.parse(MINIMAL.replace(
        "id: {concat: [fpdm, fphm], separator: \"-\"}", "id: {concat: [fpdm, fphm, kprq]}"), "x"));
    assertThat(e.problems()).containsExactly("invoice.id: reads [kprq], which lines.join does not name: a line could not be attributed to its "
        + "invoice (compute the id from the columns the lines join on)");
  }

  @Test
  void emptyTextCountsAsNullUnlessTheMappingSaysOtherwiseAsTheReferenceOneDoes() throws Exception {
    assertThat(Mapping.parse(MINIMAL, "x").emptyTextIsNull()).isTrue();
    assertThat(Mapping.parse("emptyTextIsNull: false\n" + MINIMAL, "x").emptyTextIsNull()).isFalse();
    assertThat(Mapping.reference().emptyTextIsNull()).as("the reference schema stores NULL; '' is a value there").isFalse();
    RowMapper ref = new RowMapper(Mapping.reference());
    java.util.Map<String, Object> h = new java.util.HashMap<>(java.util.Map.of("id", "r-1", "status", "ISSUED", "remarks", ""));
    assertThat(ref.invoice(h::get, List.of()).invoice().getRemarks()).isEmpty();
  }

  @Test
  void notYamlAndNotAMappingAreSaidSo() {
    assertThat(catchThrowableOfType(Mapping.Invalid.class, () -> Mapping.parse("version: [1", "a")).problems().get(0)).startsWith("not YAML");
    assertThat(catchThrowableOfType(Mapping.Invalid.class, () -> Mapping.parse("- 1", "b")).problems().get(0)).startsWith("not a mapping");
    assertThat(catchThrowableOfType(Mapping.Invalid.class, () -> Mapping.parse("version: 1", "c")).problems())
        .anySatisfy(p -> assertThat(p).contains("header"));
  }
}
