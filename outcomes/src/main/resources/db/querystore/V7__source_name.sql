-- Several issuing sources feed one store (ingest.source.name): each audit entry names the source of
-- the change it is about, the chain's hash covers the name, and reconcile --source NAME compares a
-- source with the invoices it delivered. NULL: the single, unnamed source (and entries before names).
ALTER TABLE invoice_event ADD COLUMN source_name text;
CREATE INDEX invoice_event_source_idx ON invoice_event (source_name, invoice_id) WHERE source_name IS NOT NULL;
-- The latest rejection's source: a later decision about another source's change replaces it even
-- though positions of two sources do not compare.
ALTER TABLE invoice_rejection ADD COLUMN source_name text;
