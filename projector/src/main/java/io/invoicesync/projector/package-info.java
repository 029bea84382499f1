/**
 * projector: applies {@code invoices.synced} to the query store, idempotently and in order per
 * invoice, with the query store's schema ({@link io.invoicesync.projector.QueryStoreSchema}).
 */
package io.invoicesync.projector;
