package io.invoicesync.streams.internal;

import io.invoicesync.schemas.AuditChain;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.AuditKeys;
import io.invoicesync.schemas.AuditEvent;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.ProjectionEvent;
import io.invoicesync.schemas.SourcePosition;
import io.invoicesync.schemas.Stage;
import java.time.Instant;

/**
 * The audit entries sync-streams writes into an invoice's chain, each sealed with its hash, and
 * with its MAC when a signing key is configured (format v3, {@link AuditChain}).
 */
final class AuditEntries {

  private final AuditKeys.SigningKey key;

  /** @param key signs every entry (null: unkeyed, format v2) */
  AuditEntries(AuditKeys.SigningKey key) {
    this.key = key;
  }

  /** sync-streams' own decision about {@code change}. */
  AuditEntry of(String id, AuditEvent event, Integer version, InvoiceChange change, String digest, String detail, String prevHash,
                       Instant now, Invoice invoice) {
    return sealed(AuditEntry.newBuilder()
        .setInvoiceId(id).setEvent(event.name()).setVersion(version).setSource(change.getSource()).setDigest(digest)
        .setDetail(detail).setPrevHash(prevHash).setHash("").setRecordedAt(now).setStage(Stage.SYNC_STREAMS.id())
        .setCapturedAt(change.getCapturedAt()), invoice);
  }

  /** The projector's decision about a state of the invoice, as it reported it on the projection topic. */
  AuditEntry ofProjection(String id, ProjectionEvent event, SourcePosition source, String prevHash, Instant now) {
    return seal(AuditEntry.newBuilder().setInvoiceId(id).setEvent(event.getEvent()).setVersion(event.getVersion())
        .setSource(source).setDigest(event.getDigest() == null ? "" : event.getDigest()).setDetail(event.getDetail())
        .setPrevHash(prevHash).setHash("").setRecordedAt(now).setStage(Stage.PROJECTOR.id()).setDecidedAt(event.getDecidedAt())
        .setInvoiceCode(event.getInvoiceCode()).setInvoiceNumber(event.getInvoiceNumber()).setSellerTaxId(event.getSellerTaxId()).build());
  }

  /** An input record of the invoice that did not decode and went to the DLT; it carries no source position. */
  AuditEntry ofDeadLetter(String id, AuditEvent event, InputDecoder.DeadLetterNotice notice, String prevHash, Instant now, Invoice known) {
    return sealed(AuditEntry.newBuilder().setInvoiceId(id).setEvent(event.name()).setVersion(null)
        .setSource(SourcePosition.newBuilder().setLsn(InvoiceSyncProcessor.NO_LSN).setCommitTs(Instant.ofEpochMilli(notice.timestamp())).build())
        .setDigest("").setDetail(notice.topic() + "-" + notice.partition() + "@" + notice.offset() + ": " + notice.cause())
        .setPrevHash(prevHash).setHash("").setRecordedAt(now).setStage(Stage.SYNC_STREAMS.id()), known);
  }

  /** Adds the invoice's printed identity (what clerks and exports search by) and the hash. */
  private AuditEntry sealed(AuditEntry.Builder b, Invoice invoice) {
    if (invoice != null) {
      b.setInvoiceCode(invoice.getInvoiceCode()).setInvoiceNumber(invoice.getInvoiceNumber())
          .setSellerTaxId(invoice.getSeller() == null ? null : invoice.getSeller().getTaxId());
    }
    return seal(b.build());
  }

  private AuditEntry seal(AuditEntry e) {
    return key == null ? AuditChain.seal(e) : AuditChain.seal(e, key);
  }
}
