-- Format v3 of the audit chain (keyed): the hash covers the whole source position, and the entry
-- names the key that signed it and carries the MAC, so the trail as recorded can be rechecked
-- (trace) exactly as the topic had it. Null in entries recorded before this version.
ALTER TABLE invoice_event
    ADD COLUMN source_tx_id    bigint,
    ADD COLUMN source_epoch    bigint,
    ADD COLUMN source_snapshot boolean,
    ADD COLUMN key_id          text,
    ADD COLUMN mac             text;
