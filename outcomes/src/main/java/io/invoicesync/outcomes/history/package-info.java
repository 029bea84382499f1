/** The initial load of an issuing platform's existing invoices, while new ones flow, and its progress. */
package io.invoicesync.outcomes.history;
