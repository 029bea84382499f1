/** Reconcile and resync: the issuing database against the query store, differences classified, repairs through the source. */
package io.invoicesync.outcomes.reconcile;
