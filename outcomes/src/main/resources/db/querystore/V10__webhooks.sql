-- Webhooks (module webhooks): the endpoints ERPs registered, every message owed to each, and every
-- attempt to deliver it. The store, not memory, holds delivery state: it survives restarts, and several
-- instances share the work (a message is leased by the instance that sends it; FOR UPDATE SKIP LOCKED).

CREATE TABLE webhook_endpoint (
    id                     varchar(40)   PRIMARY KEY,             -- ep_ + 24 hex
    url                    text,                                  -- NULL: a feed the ERP pulls (GET /api/v1/events)
    description            varchar(200),
    event_types            text[]        NOT NULL,                -- empty: every event type
    filter_seller_tax_id   varchar(20),
    filter_buyer_tax_id    varchar(20),
    filter_invoice_type    varchar(24),
    tenant_tax_ids         text[],                                -- whose invoices it receives (seller or buyer); NULL: every taxpayer
    secret                 text          NOT NULL,                -- whsec_ + base64: signs every delivery
    previous_secret        text,                                  -- after a rotation, signs too until previous_secret_until
    previous_secret_until  timestamptz,
    origin                 varchar(8)    NOT NULL,                -- api | config
    enabled                boolean       NOT NULL DEFAULT true,
    disabled_reason        text,
    failing_since          timestamptz,                           -- first failed attempt since the last success
    created_at             timestamptz   NOT NULL,
    updated_at             timestamptz   NOT NULL
);

CREATE TABLE webhook_message (
    seq              bigserial     PRIMARY KEY,                    -- enqueue order: the delivery order within an order key
    id               varchar(40)   NOT NULL,                       -- webhook-id: the same for every retry and every endpoint
    endpoint_id      varchar(40)   NOT NULL REFERENCES webhook_endpoint (id) ON DELETE CASCADE,
    event_type       varchar(40)   NOT NULL,
    order_key        varchar(80)   NOT NULL,                       -- the invoice id (or the event type): one in flight per endpoint and key
    invoice_id       varchar(64),
    version          integer,
    created_at       timestamptz   NOT NULL,
    status           varchar(12)   NOT NULL,                       -- PENDING | DELIVERED | FAILED, or FEED (a pulled endpoint's)
    attempts         integer       NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    leased_until     timestamptz,
    leased_by        varchar(64),                                    -- the instance that sends it (webhooks.instance.id), if named
    last_attempt_at  timestamptz,
    last_status      integer,
    last_error       text,
    delivered_at     timestamptz,
    UNIQUE (endpoint_id, id)
);
-- the dispatcher's claim: per endpoint, its pending messages in order (stopping at the first few due heads), each checked for
-- an older pending one of its order key, and its leases in flight counted
CREATE INDEX webhook_message_pending ON webhook_message (endpoint_id, seq) WHERE status = 'PENDING';
CREATE INDEX webhook_message_order ON webhook_message (endpoint_id, order_key, seq) WHERE status = 'PENDING';
CREATE INDEX webhook_message_leased ON webhook_message (endpoint_id) WHERE status = 'PENDING' AND leased_until IS NOT NULL;
CREATE INDEX webhook_message_endpoint ON webhook_message (endpoint_id, seq);
CREATE INDEX webhook_message_invoice ON webhook_message (invoice_id) WHERE invoice_id IS NOT NULL;

-- a message's body, once per message id whichever endpoints it goes to, and apart from the rows the dispatcher updates
-- (a lease and a settle would otherwise rewrite it twice per attempt); signed as stored: every retry sends the same bytes
CREATE TABLE webhook_body (
    id          varchar(40)   PRIMARY KEY,
    body        text          NOT NULL,
    created_at  timestamptz   NOT NULL
);

CREATE TABLE webhook_attempt (
    message_seq  bigint        NOT NULL REFERENCES webhook_message (seq) ON DELETE CASCADE,
    attempt      integer       NOT NULL,
    started_at   timestamptz   NOT NULL,
    duration_ms  integer       NOT NULL,
    status       integer,                                          -- the HTTP status; NULL when none came (timeout, refused)
    error        text,                                             -- why it failed, without the body
    PRIMARY KEY (message_seq, attempt)
);
