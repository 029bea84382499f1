-- The issuing cluster's generation next to each source position (SourcePosition.epoch): a database
-- restored from a backup or moved to a new cluster starts again at lower LSNs under a higher epoch,
-- and the guards order positions by (epoch, LSN) so its changes are not taken for older ones.
-- 0: written before epochs existed; such a position compares by LSN alone.
ALTER TABLE invoice ADD COLUMN source_epoch bigint NOT NULL DEFAULT 0;
ALTER TABLE invoice_rejection ADD COLUMN source_epoch bigint NOT NULL DEFAULT 0;
ALTER TABLE pipeline_watermark ADD COLUMN source_epoch bigint NOT NULL DEFAULT 0;
