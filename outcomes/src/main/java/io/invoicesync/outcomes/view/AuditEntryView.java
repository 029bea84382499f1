package io.invoicesync.outcomes.view;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.Stage;
import java.time.Instant;

/**
 * One entry of an invoice's audit trail as it is shown: in a trace's {@code history}, by
 * {@code GET /api/v1/invoices/{id}/audit} and by {@code invoice-sync audit history}. {@code stage} is
 * {@link Stage#idOf(String) as readers show it} (sync-streams for an entry before AuditEntry v2);
 * times are ISO-8601 instants; {@code hashOk} is there only where the chain was checked (the audit
 * endpoint and command), not in a trace. The export for re-hashing ({@code invoice-sync audit export})
 * is not this shape: it carries the hash's raw input, times in epoch milliseconds as the formula has
 * them. {@code source} names the issuing source of the change (several sources feed the store),
 * absent for the single, unnamed one; {@code file} where an imported invoice was read (source
 * {@code import}: the tax platform's file, sheet and row or XML path), absent otherwise.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AuditEntryView(String event, String stage, Integer version, String detail, long sourceLsn, String sourceCommitTs,
                             String capturedAt, String decidedAt, String recordedAt, int auditPartition, long auditOffset, String hash,
                             String prevHash, @JsonInclude(JsonInclude.Include.NON_NULL) Boolean hashOk,
                             @JsonInclude(JsonInclude.Include.NON_NULL) String source,
                             @JsonInclude(JsonInclude.Include.NON_NULL) FileView file) {

  /** An entry read from the audit topic at {@code partition}/{@code offset}, not yet checked. */
  public static AuditEntryView of(AuditEntry e, int partition, long offset) {
    return new AuditEntryView(e.getEvent(), Stage.idOf(e), e.getVersion(), e.getDetail(), e.getSource().getLsn(),
        iso(e.getSource().getCommitTs()), iso(e.getCapturedAt()), iso(e.getDecidedAt()), iso(e.getRecordedAt()), partition, offset,
        e.getHash(), e.getPrevHash(), null, sourceName(e.getSource().getName()), FileView.of(e.getSource().getFile()));
  }

  /** The issuing source's name as the views show it: null for the single, unnamed source. */
  public static String sourceName(String name) {
    return name == null || name.isEmpty() ? null : name;
  }

  /** This entry with the outcome of recomputing its hash. */
  public AuditEntryView checked(boolean hashMatches) {
    return new AuditEntryView(event, stage, version, detail, sourceLsn, sourceCommitTs, capturedAt, decidedAt, recordedAt, auditPartition,
        auditOffset, hash, prevHash, hashMatches, source, file);
  }

  /** An instant as the views write it (ISO-8601, UTC); null stays null. */
  public static String iso(Instant t) {
    return t == null ? null : t.toString();
  }
}
