/** The outcome recorder: the audit trail, rejections and dead letters folded into the outcome tables of the query store. */
package io.invoicesync.outcomes.recorder;
