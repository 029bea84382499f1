-- The console's import page lists the files imported lately (invoice-sync import, POST /api/v1/imports):
-- a partial index, so only imported invoices' audit entries carry it; a captured change pays nothing.
CREATE INDEX invoice_event_import_idx ON invoice_event (recorded_at) WHERE source_name = 'import';
