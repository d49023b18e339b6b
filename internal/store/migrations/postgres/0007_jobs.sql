-- PostgreSQL twin of sqlite/0007_jobs.sql.
-- The durable job queue (internal/jobs): one row per job, written in the
-- transaction that causes it (the outbox). Times are unix milliseconds.
-- A done job is deleted; a dead one is kept until retried by hand.
-- account_id and lead_id name rows without foreign keys: a job outlives
-- nothing it names (leads are only hidden), and the checks would cost every
-- lead's insert.
CREATE TABLE jobs (
	id           BIGSERIAL PRIMARY KEY,
	kind         TEXT    NOT NULL,
	account_id   BIGINT,
	lead_id      BIGINT,
	payload      TEXT    NOT NULL,
	state        TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'dead')),
	attempts     BIGINT  NOT NULL DEFAULT 0,
	max_attempts BIGINT  NOT NULL,
	run_at       BIGINT  NOT NULL, -- when due; while running, when the lease ends
	created_at   BIGINT  NOT NULL,
	worker       TEXT,             -- the lease's holder while running
	last_error   TEXT,
	periodic     TEXT              -- a periodic chore's name: one pending run each
);
CREATE INDEX jobs_due ON jobs(run_at) WHERE state IN ('queued', 'running');
CREATE UNIQUE INDEX jobs_periodic ON jobs(periodic) WHERE periodic IS NOT NULL AND state IN ('queued', 'running');
