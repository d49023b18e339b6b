-- PostgreSQL twin of sqlite/0007_jobs.sql.
-- The durable job queue (internal/jobs): one row per job, written in the
-- transaction that causes it (the outbox). Times are unix milliseconds.
-- A done job is deleted; a dead one is kept until retried by hand.
--
-- A claim writes only lease_until, worker and attempts, which no index
-- covers, and a job under lease is still 'queued' in state, found by
-- jobs_due once its lease has run out. Most jobs are never claimed: a new
-- lead's job is written leased to the runner of the process that made it.
--
-- account_id and lead_id name rows without foreign keys: a job outlives
-- nothing it names (leads are only hidden), and the checks would cost every
-- lead's insert.
CREATE TABLE jobs (
	id           BIGSERIAL PRIMARY KEY,
	kind         TEXT    NOT NULL,
	account_id   BIGINT,
	lead_id      BIGINT,
	payload      TEXT    NOT NULL,
	state        TEXT    NOT NULL CHECK (state IN ('queued', 'dead')),
	attempts     BIGINT  NOT NULL DEFAULT 0,
	max_attempts BIGINT  NOT NULL,
	run_at       BIGINT  NOT NULL, -- when due
	created_at   BIGINT  NOT NULL,
	lease_until  BIGINT,           -- claimed: its holder's lease ends then
	worker       TEXT,             -- the lease's holder
	last_error   TEXT,
	periodic     TEXT              -- a periodic chore's name: one pending run each
);
CREATE INDEX jobs_due ON jobs(run_at) WHERE state = 'queued';
CREATE UNIQUE INDEX jobs_periodic ON jobs(periodic) WHERE periodic IS NOT NULL AND state = 'queued';
