-- PostgreSQL twin of sqlite/0004_inbox_indexes.sql.
-- The inbox's period filter at a million leads: everything the period's
-- query tests, so the page's ids come from an index-only scan instead of
-- walking ids down past every newer lead (~0.3 s for a month in the middle
-- of the year). It replaces leads_account_created (a prefix of it), which
-- the dashboard's per-day counts used.
CREATE INDEX leads_account_period ON leads(account_id, dt_create)
	INCLUDE (id, source_id, funnel_stage_id, user_id_owner, first_id, deleted_at);
DROP INDEX leads_account_created;
