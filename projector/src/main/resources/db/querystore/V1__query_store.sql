-- The query store: the latest synced state of every invoice, as the projector applies it from
-- invoices.synced. One row per invoice, its lines beside it, and the sync metadata that makes the
-- upsert idempotent (source_lsn) and latency measurable (source_commit_ts -> projected_at).

CREATE TABLE invoice (
    id                    varchar(64)   PRIMARY KEY,
    invoice_code          varchar(12),
    invoice_number        varchar(20),
    invoice_type          varchar(24),
    issue_date            date,
    issued_at             timestamp,
    seller_name           varchar(200),
    seller_tax_id         varchar(20),
    seller_address_phone  varchar(300),
    seller_bank_account   varchar(300),
    buyer_name            varchar(200),
    buyer_tax_id          varchar(20),
    buyer_address_phone   varchar(300),
    buyer_bank_account    varchar(300),
    total_amount          numeric(18,2),
    total_tax             numeric(18,2),
    grand_total           numeric(18,2),
    status                varchar(24)   NOT NULL,
    risk_flag             varchar(16),
    blue_invoice_id       varchar(64),
    blue_invoice_code     varchar(12),
    blue_invoice_number   varchar(20),
    blue_issue_date       date,
    red_confirmation_no   varchar(32),
    red_reason            smallint,
    remarks               varchar(500),
    version               integer       NOT NULL,
    digest                char(64)      NOT NULL,
    source_lsn            bigint        NOT NULL,
    source_tx_id          bigint,
    source_commit_ts      timestamptz   NOT NULL,
    synced_at             timestamptz   NOT NULL,
    projected_at          timestamptz   NOT NULL
);

CREATE TABLE invoice_line (
    invoice_id      varchar(64)   NOT NULL REFERENCES invoice (id) ON DELETE CASCADE,
    line_no         integer       NOT NULL,
    item_name       varchar(200),
    specification   varchar(100),
    unit            varchar(20),
    quantity        numeric(24,8),
    unit_price      numeric(24,8),
    amount          numeric(18,2),
    tax_rate        numeric(6,4),
    tax_exempt      boolean       NOT NULL,
    tax_amount      numeric(18,2),
    tax_code        varchar(19),
    line_kind       varchar(12)   NOT NULL,
    PRIMARY KEY (invoice_id, line_no)
);

-- keyset pagination: (issue_date, id) descending, optionally within a seller or a buyer
CREATE INDEX invoice_issue_idx  ON invoice (issue_date DESC, id DESC);
CREATE INDEX invoice_seller_idx ON invoice (seller_tax_id, issue_date DESC, id DESC);
CREATE INDEX invoice_buyer_idx  ON invoice (buyer_tax_id, issue_date DESC, id DESC);
