-- The durable job queue (internal/jobs): one row per job, written in the
-- transaction that causes it (the outbox). Times are unix milliseconds.
-- A done job is deleted; a dead one is kept until retried by hand.
-- account_id and lead_id name rows without foreign keys: a job outlives
-- nothing it names (leads are only hidden), and the checks would cost every
-- lead's insert.
CREATE TABLE jobs (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	kind         TEXT    NOT NULL,
	account_id   INTEGER,
	lead_id      INTEGER,
	payload      TEXT    NOT NULL,
	state        TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'dead')),
	attempts     INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL,
	run_at       INTEGER NOT NULL, -- when due; while running, when the lease ends
	created_at   INTEGER NOT NULL,
	worker       TEXT,             -- the lease's holder while running
	last_error   TEXT,
	periodic     TEXT              -- a periodic chore's name: one pending run each
);
CREATE INDEX jobs_due ON jobs(run_at) WHERE state IN ('queued', 'running');
CREATE UNIQUE INDEX jobs_periodic ON jobs(periodic) WHERE periodic IS NOT NULL AND state IN ('queued', 'running');
