package io.invoicesync.cli.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.SourcePosition;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AuditCommandTest {

  static AuditEntry entry(String stage, String detail) {
    return AuditEntry.newBuilder().setInvoiceId("inv-1").setEvent("APPLIED").setVersion(null)
        .setSource(SourcePosition.newBuilder().setLsn(24863584L).setCommitTs(Instant.ofEpochMilli(1_700_000_000_000L)).build())
        .setDigest("d").setDetail(detail).setPrevHash(null).setHash("00cf").setRecordedAt(Instant.ofEpochMilli(1_700_000_000_123L))
        .setStage(stage).setCapturedAt(null).setDecidedAt(Instant.ofEpochMilli(1_700_000_000_100L)).build();
  }

  @Test
  void shouldExportEveryFieldTheHashCoversInTheDocumentedColumnsWithTimesInEpochMillis() throws Exception {
    // Given an entry before AuditEntry v2 (no stage) read at partition 3, offset 42
    ExportCommand.Entry e = ExportCommand.Entry.of(entry(null, "a, \"quoted\" detail"), 3, 42);

    // When it is exported, Then the columns are the published ones, in order
    assertThat(ExportCommand.FIELDS).containsExactly("invoiceId", "event", "version", "sourceLsn", "sourceCommitTs", "digest",
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
    assertThat(e.cells()).hasSameSizeAs(ExportCommand.FIELDS);
  }

  @Test
  void shouldExportTheStageAsWrittenNotAsReadersShowIt() {
    assertThat(ExportCommand.Entry.of(entry("projector", null), 0, 0).stage()).isEqualTo("projector");
    assertThat(ExportCommand.Entry.of(entry(null, null), 0, 0).stage()).isNull();
  }
}
