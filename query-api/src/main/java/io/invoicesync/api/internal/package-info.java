/**
 * The query API's routes and what they stand on: one class per group of endpoints
 * ({@link InvoiceRoutes}, {@link TraceRoutes}, {@link OperationsRoutes}) registering its handlers;
 * the typed parameters of each search ({@link InvoiceSearch}, {@link RejectionSearch}), checked with
 * the wrong parameter named ({@link QueryParams}); the keyset cursors ({@link Cursors}); the store
 * reads ({@link InvoiceRepository}); and the problem-details errors ({@link ProblemException}).
 */
package io.invoicesync.api.internal;
