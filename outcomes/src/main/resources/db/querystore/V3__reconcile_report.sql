-- Scheduled reconciliations ('reconcile.interval.ms'): one row per run, the newest served at
-- GET /api/v1/reconcile/last. counts: per class; report: the run's JSON report (differences capped).
CREATE TABLE reconcile_report (
    id          bigserial         PRIMARY KEY,
    started_at  timestamptz       NOT NULL,
    seconds     double precision  NOT NULL,
    ok          boolean           NOT NULL,
    counts      jsonb             NOT NULL,
    report      jsonb             NOT NULL
);
