-- The issuing platform's database, as invoice-sync expects to capture it.
-- Both invoice generations live in one header table: tax-control invoices (invoice_code + 8-digit
-- number) and fully digitalised e-invoices (数电票: 20-digit number, no code).
-- Issued content is immutable: once committed, only status, risk_flag and updated_at of a header may
-- change (void, red-flush), enforced by the triggers below. A red-letter (negative) invoice is a new
-- invoice that references its blue invoice.

CREATE SCHEMA IF NOT EXISTS issuing;

CREATE TABLE issuing.invoice (
    id                    varchar(64)   PRIMARY KEY,
    invoice_code          varchar(12),
    invoice_number        varchar(20)   NOT NULL,
    invoice_type          varchar(24)   NOT NULL
        CHECK (invoice_type IN ('SPECIAL_PAPER', 'GENERAL_PAPER', 'SPECIAL_ELECTRONIC', 'GENERAL_ELECTRONIC',
                                'DIGITAL_SPECIAL', 'DIGITAL_GENERAL')),
    issue_date            date          NOT NULL,
    issued_at             timestamp,
    seller_name           varchar(200)  NOT NULL,
    seller_tax_id         varchar(20),
    seller_address_phone  varchar(300),
    seller_bank_account   varchar(300),
    buyer_name            varchar(200)  NOT NULL,
    buyer_tax_id          varchar(20),
    buyer_address_phone   varchar(300),
    buyer_bank_account    varchar(300),
    total_amount          numeric(18,2) NOT NULL,
    total_tax             numeric(18,2) NOT NULL,
    grand_total           numeric(18,2) NOT NULL,
    status                varchar(24)   NOT NULL DEFAULT 'ISSUED'
        CHECK (status IN ('ISSUED', 'VOIDED', 'RED_FLUSHED', 'PARTIALLY_RED_FLUSHED')),
    risk_flag             varchar(16)   CHECK (risk_flag IN ('LOST_CONTROL', 'ABNORMAL')),
    blue_invoice_id       varchar(64),
    blue_invoice_code     varchar(12),
    blue_invoice_number   varchar(20),
    blue_issue_date       date,
    red_confirmation_no   varchar(32),
    red_reason            smallint      CHECK (red_reason BETWEEN 1 AND 4),
    remarks               varchar(500),
    created_at            timestamptz   NOT NULL DEFAULT now(),
    updated_at            timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE issuing.invoice_line (
    invoice_id      varchar(64)   NOT NULL REFERENCES issuing.invoice (id),
    line_no         integer       NOT NULL CHECK (line_no > 0),
    item_name       varchar(200)  NOT NULL,
    specification   varchar(100),
    unit            varchar(20),
    quantity        numeric(24,8),
    unit_price      numeric(24,8),
    amount          numeric(18,2) NOT NULL,
    tax_rate        numeric(6,4),
    tax_exempt      boolean       NOT NULL DEFAULT false,
    tax_amount      numeric(18,2),
    tax_code        varchar(19),
    line_kind       varchar(12)   NOT NULL DEFAULT 'NORMAL' CHECK (line_kind IN ('NORMAL', 'DISCOUNT', 'DISCOUNTED')),
    PRIMARY KEY (invoice_id, line_no)
);

CREATE INDEX invoice_blue_idx ON issuing.invoice (blue_invoice_id);

-- Issued content never changes; only the lifecycle columns of a header do.
CREATE FUNCTION issuing.forbid_content_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'invoice_line' THEN
        RAISE EXCEPTION 'invoice lines are immutable once issued (invoice %, line %)', OLD.invoice_id, OLD.line_no
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'issued invoice % cannot be deleted; void or red-flush it', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (to_jsonb(NEW) - 'status' - 'risk_flag' - 'updated_at') IS DISTINCT FROM (to_jsonb(OLD) - 'status' - 'risk_flag' - 'updated_at') THEN
        RAISE EXCEPTION 'issued invoice % is immutable: only status and risk_flag may change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER invoice_immutable BEFORE UPDATE OR DELETE ON issuing.invoice
    FOR EACH ROW EXECUTE FUNCTION issuing.forbid_content_change();
CREATE TRIGGER invoice_line_immutable BEFORE UPDATE OR DELETE ON issuing.invoice_line
    FOR EACH ROW EXECUTE FUNCTION issuing.forbid_content_change();

-- Written by ingest's heartbeat action query so that the replication slot advances even when no
-- invoice is issued for a long time (WAL is then never pinned by the slot).
CREATE TABLE issuing.invoice_sync_heartbeat (
    id  integer     PRIMARY KEY,
    ts  timestamptz NOT NULL
);
