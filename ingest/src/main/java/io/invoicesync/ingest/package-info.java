/**
 * ingest: Debezium's embedded engine (PostgreSQL connector, pgoutput) capturing the issuing
 * database into {@code invoices.captured}; see {@link io.invoicesync.ingest.IngestService}.
 */
package io.invoicesync.ingest;
