/** Audit verification: every entry re-hashed, every link and checkpoint checked, offline from the audit topic. */
package io.invoicesync.outcomes.audit;
