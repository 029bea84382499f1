package io.invoicesync.outcomes.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.SourcePosition;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AuditExportTest {

  static AuditEntry entry(String stage, String detail) {
    return AuditEntry.newBuilder().setInvoiceId("inv-1").setEvent("APPLIED").setVersion(null)
        .setSource(SourcePosition.newBuilder().setLsn(24863584L).setCommitTs(Instant.ofEpochMilli(1_700_000_000_000L)).build())
        .setDigest("d").setDetail(detail).setPrevHash(null).setHash("00cf").setRecordedAt(Instant.ofEpochMilli(1_700_000_000_123L))
        .setStage(stage).setCapturedAt(null).setDecidedAt(Instant.ofEpochMilli(1_700_000_000_100L)).build();
  }

  @Test
  void shouldExportEveryFieldTheHashCoversInTheDocumentedColumnsWithTimesInEpochMillis() throws Exception {
    // Given an entry before AuditEntry v2 (no stage) read at partition 3, offset 42
    AuditExport.Entry e = AuditExport.Entry.of(entry(null, "a, \"quoted\" detail"), 3, 42);

    // When it is exported, Then the columns are the published ones, in order
    assertThat(AuditExport.FIELDS).containsExactly("invoiceId", "event", "version", "sourceLsn", "sourceCommitTs", "digest",
        "detail", "prevHash", "hash", "recordedAt", "stage", "capturedAt", "decidedAt", "invoiceCode", "invoiceNumber", "sellerTaxId",
        "partition", "offset", "sourceTxId", "sourceEpoch", "sourceSnapshot", "keyId", "mac", "sourceName", "sourceFile",
        "sourceFileSha256", "sourceSheet", "sourceRow", "sourcePath");
    // and a JSON line has the same fields in the same order, the stage raw and times as epoch milliseconds
    assertThat(new ObjectMapper().writeValueAsString(e)).isEqualTo("{\"invoiceId\":\"inv-1\",\"event\":\"APPLIED\",\"version\":null,"
        + "\"sourceLsn\":24863584,\"sourceCommitTs\":1700000000000,\"digest\":\"d\",\"detail\":\"a, \\\"quoted\\\" detail\",\"prevHash\":null,"
        + "\"hash\":\"00cf\",\"recordedAt\":1700000000123,\"stage\":null,\"capturedAt\":null,\"decidedAt\":1700000000100,\"invoiceCode\":null,"
        + "\"invoiceNumber\":null,\"sellerTaxId\":null,\"partition\":3,\"offset\":42,\"sourceTxId\":null,\"sourceEpoch\":0,"
        + "\"sourceSnapshot\":false,\"keyId\":null,\"mac\":null,\"sourceName\":null,\"sourceFile\":null,\"sourceFileSha256\":null,\"sourceSheet\":null,\"sourceRow\":null,\"sourcePath\":null}");
    // and a CSV row quotes what needs it and leaves nulls empty
    assertThat(String.join(",", e.cells())).isEqualTo("inv-1,APPLIED,,24863584,1700000000000,d,\"a, \"\"quoted\"\" detail\",,00cf,"
        + "1700000000123,,,1700000000100,,,,3,42,,0,false,,,,,,,,");
    assertThat(e.cells()).hasSameSizeAs(AuditExport.FIELDS);
  }

  @Test
  void shouldWriteAHeaderLineForCsvAndNoneForJsonLines() throws Exception {
    java.io.StringWriter csv = new java.io.StringWriter();
    AuditExport out = new AuditExport(csv, AuditExport.Format.CSV);
    out.write(entry("projector", null), 1, 7);
    assertThat(csv.toString().split("\n")).hasSize(2);
    assertThat(csv.toString()).startsWith(String.join(",", AuditExport.FIELDS) + "\n").contains(",projector,");
    java.io.StringWriter jsonl = new java.io.StringWriter();
    AuditExport lines = new AuditExport(jsonl, AuditExport.Format.of("format", "JSONL"));
    lines.write(entry(null, null), 0, 1);
    lines.write(entry(null, null), 0, 2);
    assertThat(jsonl.toString().split("\n")).hasSize(2).allMatch(l -> l.startsWith("{\"invoiceId\""));
    assertThat(lines.written()).isEqualTo(2);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> AuditExport.Format.of("format", "xml"))
        .hasMessage("format must be jsonl or csv, not 'xml'");
  }

  @Test
  void shouldExportTheStageAsWrittenNotAsReadersShowIt() {
    assertThat(AuditExport.Entry.of(entry("projector", null), 0, 0).stage()).isEqualTo("projector");
    assertThat(AuditExport.Entry.of(entry(null, null), 0, 0).stage()).isNull();
  }

  @Test
  void shouldReadAPeriodsBoundAsAnInstantOrTheStartOfADayInUtcAndNameABadOne() {
    assertThat(AuditExport.periodBound("from", "2026-11-25")).isEqualTo(Instant.parse("2026-11-25T00:00:00Z"));
    assertThat(AuditExport.periodBound("from", "2026-11-25T08:00:00Z")).isEqualTo(Instant.parse("2026-11-25T08:00:00Z"));
    assertThat(AuditExport.periodBound("to", null)).isNull();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> AuditExport.periodBound("--to", "yesterday"))
        .hasMessage("--to 'yesterday' is neither an ISO instant (2026-11-25T08:00:00Z) nor a date (2026-11-25)");
  }
}
