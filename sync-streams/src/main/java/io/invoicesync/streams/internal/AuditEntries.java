package io.invoicesync.streams.internal;

import io.invoicesync.schemas.AuditChain;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.AuditEvent;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.ProjectionEvent;
import io.invoicesync.schemas.SourcePosition;
import io.invoicesync.schemas.Stage;
import java.time.Instant;

/** The audit entries sync-streams writes into an invoice's chain, each sealed with its hash ({@link AuditChain}). */
final class AuditEntries {

  private AuditEntries() {
  }

  /** sync-streams' own decision about {@code change}. */
  static AuditEntry of(String id, AuditEvent event, Integer version, InvoiceChange change, String digest, String detail, String prevHash,
                       Instant now, Invoice invoice) {
    return sealed(AuditEntry.newBuilder()
        .setInvoiceId(id).setEvent(event.name()).setVersion(version).setSource(change.getSource()).setDigest(digest)
        .setDetail(detail).setPrevHash(prevHash).setHash("").setRecordedAt(now).setStage(Stage.SYNC_STREAMS.id())
        .setCapturedAt(change.getCapturedAt()), invoice);
  }

  /** The projector's decision about a state of the invoice, as it reported it on the projection topic. */
  static AuditEntry ofProjection(String id, ProjectionEvent event, SourcePosition source, String prevHash, Instant now) {
    return AuditChain.seal(AuditEntry.newBuilder().setInvoiceId(id).setEvent(event.getEvent()).setVersion(event.getVersion())
        .setSource(source).setDigest(event.getDigest() == null ? "" : event.getDigest()).setDetail(event.getDetail())
        .setPrevHash(prevHash).setHash("").setRecordedAt(now).setStage(Stage.PROJECTOR.id()).setDecidedAt(event.getDecidedAt())
        .setInvoiceCode(event.getInvoiceCode()).setInvoiceNumber(event.getInvoiceNumber()).setSellerTaxId(event.getSellerTaxId()).build());
  }

  /** An input record of the invoice that did not decode and went to the DLT; it carries no source position. */
  static AuditEntry ofDeadLetter(String id, AuditEvent event, InputDecoder.DeadLetterNotice notice, String prevHash, Instant now, Invoice known) {
    return sealed(AuditEntry.newBuilder().setInvoiceId(id).setEvent(event.name()).setVersion(null)
        .setSource(SourcePosition.newBuilder().setLsn(InvoiceSyncProcessor.NO_LSN).setCommitTs(Instant.ofEpochMilli(notice.timestamp())).build())
        .setDigest("").setDetail(notice.topic() + "-" + notice.partition() + "@" + notice.offset() + ": " + notice.cause())
        .setPrevHash(prevHash).setHash("").setRecordedAt(now).setStage(Stage.SYNC_STREAMS.id()), known);
  }

  /** Adds the invoice's printed identity (what clerks and exports search by) and the hash. */
  private static AuditEntry sealed(AuditEntry.Builder b, Invoice invoice) {
    if (invoice != null) {
      b.setInvoiceCode(invoice.getInvoiceCode()).setInvoiceNumber(invoice.getInvoiceNumber())
          .setSellerTaxId(invoice.getSeller() == null ? null : invoice.getSeller().getTaxId());
    }
    return AuditChain.seal(b.build());
  }
}
