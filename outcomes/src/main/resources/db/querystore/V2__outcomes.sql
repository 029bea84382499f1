-- What the pipeline decided about every invoice, written by the outcome recorder from the topics
-- (invoices.audit, invoices.rejected and the two dead-letter topics), so that trace, rejection
-- search, status and reconcile can answer for an invoice that is not visible. Identity columns are
-- text: a rejected invoice may carry values longer than a valid one can.

-- The audit trail, one row per AuditEntry (its topic coordinates make re-reading idempotent).
CREATE TABLE invoice_event (
    audit_partition   integer       NOT NULL,
    audit_offset      bigint        NOT NULL,
    invoice_id        text          NOT NULL,
    event             text          NOT NULL,
    stage             text,  -- null in entries written before AuditEntry v2 (all sync-streams')
    version           integer,
    source_lsn        bigint        NOT NULL,
    source_commit_ts  timestamptz,
    captured_at       timestamptz,
    decided_at        timestamptz,
    recorded_at       timestamptz   NOT NULL,
    detail            text,
    digest            varchar(64)   NOT NULL,
    prev_hash         char(64),
    hash              char(64)      NOT NULL,
    invoice_code      text,
    invoice_number    text,
    seller_tax_id     text,
    PRIMARY KEY (audit_partition, audit_offset)
);
CREATE INDEX invoice_event_invoice_idx ON invoice_event (invoice_id, audit_offset);

-- Per invoice: where it stands. outcome is VISIBLE, REJECTED, DEAD_LETTERED or IN_FLIGHT.
CREATE TABLE invoice_outcome (
    invoice_id        text          PRIMARY KEY,
    outcome           text          NOT NULL,
    last_event        text          NOT NULL,
    latest_version    integer,
    visible_version   integer,
    latest_lsn        bigint,
    latest_commit_ts  timestamptz,
    invoice_code      text,
    invoice_number    text,
    seller_tax_id     text,
    first_seen_at     timestamptz   NOT NULL,
    updated_at        timestamptz   NOT NULL,
    audit_partition   integer       NOT NULL,
    audit_offset      bigint        NOT NULL
);
CREATE INDEX invoice_outcome_number_idx ON invoice_outcome (invoice_number, invoice_code);
CREATE INDEX invoice_outcome_outcome_idx ON invoice_outcome (outcome, updated_at DESC, invoice_id DESC);

-- The latest rejection of each invoice, with every violation; searchable like invoices.
CREATE TABLE invoice_rejection (
    invoice_id        text          PRIMARY KEY,
    source_lsn        bigint        NOT NULL,
    source_commit_ts  timestamptz   NOT NULL,
    rejected_at       timestamptz   NOT NULL,
    codes             varchar(500)  NOT NULL,
    violations        jsonb         NOT NULL,
    invoice_code      text,
    invoice_number    text,
    invoice_type      text,
    issue_date        date,
    status            text,
    seller_name       text,
    seller_tax_id     text,
    buyer_name        text,
    buyer_tax_id      text,
    total_amount      numeric(18,2),
    total_tax         numeric(18,2),
    grand_total       numeric(18,2)
);
CREATE INDEX invoice_rejection_time_idx   ON invoice_rejection (rejected_at DESC, invoice_id DESC);
CREATE INDEX invoice_rejection_seller_idx ON invoice_rejection (seller_tax_id, rejected_at DESC, invoice_id DESC);
CREATE INDEX invoice_rejection_number_idx ON invoice_rejection (invoice_number, invoice_code);

-- Every dead letter of both DLTs, with its provenance (no payload).
CREATE TABLE dead_letter (
    dlt_topic           varchar(249)  NOT NULL,
    dlt_partition       integer       NOT NULL,
    dlt_offset          bigint        NOT NULL,
    invoice_id          text,
    original_topic      varchar(249),
    original_partition  integer,
    original_offset     bigint,
    stage               text,
    exception_class     varchar(300),
    cause_class         varchar(300),
    message             text,
    attempts            integer,
    first_failure_at    timestamptz,
    dead_lettered_at    timestamptz   NOT NULL,
    PRIMARY KEY (dlt_topic, dlt_partition, dlt_offset)
);
CREATE INDEX dead_letter_invoice_idx ON dead_letter (invoice_id, dead_lettered_at);

-- Per stage: the newest source position and commit time it has handled.
CREATE TABLE pipeline_watermark (
    stage             text          PRIMARY KEY,
    source_lsn        bigint        NOT NULL,
    source_commit_ts  timestamptz   NOT NULL,
    invoice_id        text          NOT NULL,
    updated_at        timestamptz   NOT NULL
);

-- Finding an invoice the way a clerk knows it: by its number (and code), or by amount.
CREATE INDEX invoice_number_idx ON invoice (invoice_number, invoice_code);
CREATE INDEX invoice_total_idx  ON invoice (grand_total, issue_date DESC, id DESC);
