-- Debezium's signal table: 'invoice-sync resync' inserts an execute-snapshot signal here, and
-- ingest re-reads the named invoices with an incremental snapshot (their reads are marked RESYNC,
-- so sync-streams validates and re-emits them even when nothing changed). Only ingest's signals
-- are written here; it is part of the publication like the heartbeat table.
CREATE TABLE issuing.invoice_sync_signal (
    id    varchar(64)   PRIMARY KEY,
    type  varchar(32)   NOT NULL,
    data  text
);
