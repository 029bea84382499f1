/** Trace: where one invoice is and why, from the query store, the outcome tables and the issuing database; the verdict is pure. */
package io.invoicesync.outcomes.trace;
