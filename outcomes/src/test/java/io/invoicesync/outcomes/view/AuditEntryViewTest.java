package io.invoicesync.outcomes.view;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.SourcePosition;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AuditEntryViewTest {

  static final ObjectMapper JSON = new ObjectMapper();

  static AuditEntry entry(String stage) {
    return AuditEntry.newBuilder().setInvoiceId("inv-1").setEvent("APPLIED").setVersion(1)
        .setSource(SourcePosition.newBuilder().setLsn(24863584L).setCommitTs(Instant.parse("2026-11-27T11:18:17.922Z")).build())
        .setDigest("d").setDetail(null).setPrevHash(null).setHash("00cf").setRecordedAt(Instant.parse("2026-11-27T11:18:18.170Z"))
        .setStage(stage).setCapturedAt(Instant.parse("2026-11-27T11:18:18.064Z")).setDecidedAt(null).build();
  }

  @Test
  void shouldWriteAnEntryInTheShapeOfATracesHistoryWithTimesAsIsoInstants() throws Exception {
    // Given an entry read from the topic
    AuditEntryView view = AuditEntryView.of(entry("sync-streams"), 0, 0);

    // When it is written, Then it has the documented fields in their order (docs/trace-examples), nulls included, no hashOk
    assertThat(JSON.writeValueAsString(view)).isEqualTo("{\"event\":\"APPLIED\",\"stage\":\"sync-streams\",\"version\":1,\"detail\":null,"
        + "\"sourceLsn\":24863584,\"sourceCommitTs\":\"2026-11-27T11:18:17.922Z\",\"capturedAt\":\"2026-11-27T11:18:18.064Z\","
        + "\"decidedAt\":null,\"recordedAt\":\"2026-11-27T11:18:18.170Z\",\"auditPartition\":0,\"auditOffset\":0,\"hash\":\"00cf\","
        + "\"prevHash\":null}");
  }

  @Test
  void shouldShowAnEntryBeforeV2AsSyncStreamsAndHashOkOnceChecked() throws Exception {
    AuditEntryView view = AuditEntryView.of(entry(null), 3, 42).checked(false);

    assertThat(view.stage()).isEqualTo("sync-streams");
    assertThat(JSON.readTree(JSON.writeValueAsString(view)).get("hashOk").asBoolean(true)).isFalse();
  }

  @Test
  void shouldReadBackWhatItWroteIgnoringFieldsItDoesNotKnow() throws Exception {
    AuditEntryView view = AuditEntryView.of(entry("projector"), 5, 7).checked(true);
    String json = JSON.writeValueAsString(view).replace("{", "{\"addedLater\":1,");

    assertThat(JSON.readValue(json, AuditEntryView.class)).isEqualTo(view);
  }
}
