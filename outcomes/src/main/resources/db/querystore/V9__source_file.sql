-- Invoices imported from the tax platform's files (invoice-sync import, source 'import'): each audit
-- entry names the file, its SHA-256, and the sheet and row or XML path the invoice was read from, as
-- JSON {"file","sha256","sheet","row","path"}; the keyed chain's hash covers them, so the trace
-- rechecks it. NULL for changes captured from an issuing database.
ALTER TABLE invoice_event ADD COLUMN source_file text;
