-- Anchors of the audit checkpoints outside Kafka (issue 24): every checkpoint the outcome recorder
-- reads from invoices.audit.checkpoints (read_committed), with its Merkle root and its MAC as
-- sync-streams signed it, and where it sat on the topic. Append-only: no row is ever updated or
-- deleted (the triggers refuse it, for every role short of one that drops them), so rewriting or
-- truncating the Kafka topics later does not rewrite what was anchored. audit verify --store
-- compares the topics against these rows.
CREATE TABLE audit_anchor (
    checkpoint_partition integer     NOT NULL,  -- partition and offset of the checkpoint record on its topic
    checkpoint_offset    bigint      NOT NULL,
    input_partition      integer     NOT NULL,  -- AuditCheckpoint.partition: the input partition it covers
    partitions           integer     NOT NULL,
    checkpoint_at        timestamptz NOT NULL,
    checkpoint_at_ms     bigint      NOT NULL,  -- exact, as signed
    chains               bigint      NOT NULL,
    root                 text        NOT NULL,
    key_id               text,
    mac                  text,
    anchored_at          timestamptz NOT NULL,
    PRIMARY KEY (checkpoint_partition, checkpoint_offset)
);

CREATE FUNCTION audit_anchor_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_anchor is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_anchor_no_update_delete BEFORE UPDATE OR DELETE ON audit_anchor
    FOR EACH ROW EXECUTE FUNCTION audit_anchor_append_only();
CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON audit_anchor
    FOR EACH STATEMENT EXECUTE FUNCTION audit_anchor_append_only();
