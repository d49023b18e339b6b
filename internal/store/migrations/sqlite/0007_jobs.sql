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
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	kind         TEXT    NOT NULL,
	account_id   INTEGER,
	lead_id      INTEGER,
	payload      TEXT    NOT NULL,
	state        TEXT    NOT NULL CHECK (state IN ('queued', 'dead')),
	attempts     INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL,
	run_at       INTEGER NOT NULL, -- when due
	created_at   INTEGER NOT NULL,
	lease_until  INTEGER,          -- claimed: its holder's lease ends then
	worker       TEXT,             -- the lease's holder
	last_error   TEXT,
	periodic     TEXT              -- a periodic chore's name: one pending run each
);
CREATE INDEX jobs_due ON jobs(run_at) WHERE state = 'queued';
CREATE UNIQUE INDEX jobs_periodic ON jobs(periodic) WHERE periodic IS NOT NULL AND state = 'queued';
