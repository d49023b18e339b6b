-- What managers and integrations need to work leads: search keys, soft
-- deletion, history, sessions and API tokens.

ALTER TABLE leads ADD COLUMN name_key TEXT;    -- lower-cased name, for search (SQLite's lower() is ASCII-only)
ALTER TABLE leads ADD COLUMN deleted_at INTEGER;
CREATE INDEX leads_account_source ON leads(account_id, source_id, id);
CREATE INDEX leads_account_stage ON leads(account_id, funnel_stage_id, id);
CREATE INDEX leads_account_owner ON leads(account_id, user_id_owner, id);
CREATE INDEX leads_account_created ON leads(account_id, dt_create);
CREATE INDEX leads_client ON leads(client_id) WHERE client_id IS NOT NULL;

-- Who changed what on a lead, and when: changes is a JSON object
-- {"field": [old, new], ...}.
CREATE TABLE lead_events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts(id),
	lead_id    INTEGER NOT NULL REFERENCES leads(id),
	user_id    INTEGER REFERENCES users(id),
	created_at INTEGER NOT NULL,
	action     TEXT    NOT NULL,
	changes    TEXT    NOT NULL
);
CREATE INDEX lead_events_lead ON lead_events(lead_id, id);

-- Web UI sessions; only a hash of the session id is stored.
CREATE TABLE sessions (
	id_hash    TEXT    PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users(id),
	csrf_token TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	seen_at    INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- API bearer tokens, scoped to one account; only a hash is stored.
CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id   INTEGER NOT NULL REFERENCES accounts(id),
	name         TEXT    NOT NULL,
	token_hash   TEXT    NOT NULL UNIQUE,
	hint         TEXT    NOT NULL,
	created_by   INTEGER REFERENCES users(id),
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER
);
CREATE INDEX api_tokens_account ON api_tokens(account_id);
