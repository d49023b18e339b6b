-- Erasing a person's data (152-FZ, issue 20): what each erasure did, so that
-- an act of destruction (Roskomnadzor's order 179) can be drawn up from it,
-- and how long raw requests are kept.
--
-- An erasure names its subject only by a keyed hash (HMAC-SHA256 with the
-- account's erasure_key) of the normalised phone and email key: an
-- administrator can check later whether a number was erased, but the row
-- and any act exported from it do not hold the number. lead_ids is a JSON
-- array of the leads erased (ids are not personal data). The counts are of
-- rows changed or removed, by kind.
CREATE TABLE erasures (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id   INTEGER NOT NULL REFERENCES accounts(id),
	created_at   INTEGER NOT NULL,
	user_id      INTEGER REFERENCES users(id),
	actor        TEXT    NOT NULL,                -- who: a user's name and email, an API token's name, or the CLI
	kind         TEXT    NOT NULL CHECK (kind IN ('subject', 'retention')),
	phone_hash   TEXT    NOT NULL DEFAULT '',
	email_hash   TEXT    NOT NULL DEFAULT '',
	reason       TEXT    NOT NULL,
	lead_ids     TEXT    NOT NULL DEFAULT '[]',
	leads        INTEGER NOT NULL DEFAULT 0,
	clients      INTEGER NOT NULL DEFAULT 0,
	deliveries   INTEGER NOT NULL DEFAULT 0,
	idempotency  INTEGER NOT NULL DEFAULT 0,
	events       INTEGER NOT NULL DEFAULT 0,
	jobs         INTEGER NOT NULL DEFAULT 0,
	notes        INTEGER NOT NULL DEFAULT 0,
	tasks        INTEGER NOT NULL DEFAULT 0,
	import_files INTEGER NOT NULL DEFAULT 0,
	purged_at    INTEGER -- when the database's own copies were cleared (VACUUM); NULL: waiting
);
CREATE INDEX erasures_account ON erasures(account_id, id);

-- The secret of the account's erasure hashes, made at its first erasure.
ALTER TABLE accounts ADD COLUMN erasure_key TEXT NOT NULL DEFAULT '';
-- Raw request bodies older than this many days are erased; 0 keeps them.
ALTER TABLE accounts ADD COLUMN raw_retention_days INTEGER NOT NULL DEFAULT 0;
-- How far the retention chore has read the delivery log: it starts
-- after this delivery id next time.
ALTER TABLE accounts ADD COLUMN raw_erased_to INTEGER NOT NULL DEFAULT 0;
-- A delivery-log row whose raw request was erased, and when.
ALTER TABLE deliveries ADD COLUMN erased_at INTEGER;
