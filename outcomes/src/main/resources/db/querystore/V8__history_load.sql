-- 'invoice-sync history load': an initial load of an issuing platform's existing invoices (a Debezium
-- incremental snapshot requested by the command), its progress as the command last measured it, for
-- /status and the console. loaded counts the invoices sync-streams decided on from the load's reads.
CREATE TABLE history_load (
    id              text          PRIMARY KEY,   -- the signal's id: history-<uuid>
    source_name     text,                        -- the issuing source (several feed the store); NULL: the single one
    condition       text,                        -- --where, on the header table's own columns; NULL: every row
    started_at      timestamptz   NOT NULL,
    total           bigint        NOT NULL,      -- rows of the header table (the condition's) when the load started
    loaded          bigint        NOT NULL DEFAULT 0,
    rate_per_second double precision,
    eta_seconds     bigint,
    status          text          NOT NULL,      -- RUNNING, DONE
    updated_at      timestamptz   NOT NULL,
    finished_at     timestamptz
);
CREATE INDEX history_load_started_idx ON history_load (started_at DESC);
-- the load's decisions, counted while it runs: sync-streams' entries about snapshot reads, by time
CREATE INDEX invoice_event_snapshot_idx ON invoice_event (recorded_at) WHERE source_snapshot AND stage = 'sync-streams';
