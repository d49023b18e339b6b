-- The whole domain of leadbox: accounts and everything that belongs to one.
-- Times are unix seconds, except deliveries.received_at (unix milliseconds).

CREATE TABLE accounts (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id    INTEGER NOT NULL REFERENCES accounts(id),
	name          TEXT    NOT NULL,
	email         TEXT    NOT NULL,
	email_key     TEXT    NOT NULL UNIQUE,
	role          TEXT    NOT NULL CHECK (role IN ('admin', 'manager')),
	active        INTEGER NOT NULL DEFAULT 1,
	password_hash TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL
);
CREATE INDEX users_account ON users(account_id);

CREATE TABLE offices (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts(id),
	name       TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX offices_account ON offices(account_id);

CREATE TABLE cities (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts(id),
	name       TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX cities_account ON cities(account_id);

CREATE TABLE funnel_stages (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts(id),
	name       TEXT    NOT NULL,
	position   INTEGER NOT NULL,
	color      TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);
CREATE INDEX funnel_stages_account ON funnel_stages(account_id, position);

CREATE TABLE sources (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id       INTEGER NOT NULL REFERENCES accounts(id),
	name             TEXT    NOT NULL,
	type             TEXT    NOT NULL CHECK (type IN ('webhook', 'manual', 'phone', 'site', 'other')),
	enabled          INTEGER NOT NULL DEFAULT 1,
	token            TEXT,
	token_hash       TEXT UNIQUE,
	default_owner_id INTEGER REFERENCES users(id),
	default_stage_id INTEGER REFERENCES funnel_stages(id),
	default_unit_id  INTEGER REFERENCES offices(id),
	default_city_id  INTEGER REFERENCES cities(id),
	created_at       INTEGER NOT NULL
);
CREATE INDEX sources_account ON sources(account_id);

CREATE TABLE clients (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts(id),
	name       TEXT    NOT NULL,
	phone      TEXT,
	email      TEXT,
	created_at INTEGER NOT NULL
);
CREATE INDEX clients_account ON clients(account_id);

-- Every request to a webhook URL, accepted or rejected. The raw body is kept
-- here once; a lead points at the delivery it came from.
CREATE TABLE deliveries (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id      INTEGER NOT NULL REFERENCES accounts(id),
	source_id       INTEGER NOT NULL REFERENCES sources(id),
	received_at     INTEGER NOT NULL,
	method          TEXT    NOT NULL,
	content_type    TEXT    NOT NULL DEFAULT '',
	remote_addr     TEXT    NOT NULL DEFAULT '',
	status          INTEGER NOT NULL,
	errors          TEXT,
	idempotency_key TEXT,
	replayed        INTEGER NOT NULL DEFAULT 0,
	body            BLOB    NOT NULL,
	body_truncated  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_source ON deliveries(source_id, id);

CREATE TABLE leads (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id        INTEGER NOT NULL REFERENCES accounts(id),
	first_id          INTEGER REFERENCES leads(id),
	other_count       INTEGER NOT NULL DEFAULT 0,
	name              TEXT,
	source_id         INTEGER REFERENCES sources(id),
	client_id         INTEGER REFERENCES clients(id),
	phone             TEXT,
	email             TEXT,
	email_key         TEXT,
	not_answer        INTEGER,
	user_id_create    INTEGER REFERENCES users(id),
	user_id_update    INTEGER REFERENCES users(id),
	dt_create         INTEGER NOT NULL,
	dt_update         INTEGER NOT NULL,
	dt_not_answer     INTEGER,
	location_unit_id  INTEGER REFERENCES offices(id),
	location_city_id  INTEGER REFERENCES cities(id),
	funnel_stage_id   INTEGER REFERENCES funnel_stages(id),
	user_id_owner     INTEGER REFERENCES users(id),
	cost              INTEGER,
	remote_id         INTEGER,
	utm_source        TEXT,
	utm_medium        TEXT,
	utm_campaign      TEXT,
	utm_content       TEXT,
	utm_term          TEXT,
	utm_referrer      TEXT,
	openstat_service  TEXT,
	openstat_campaign TEXT,
	openstat_ad       TEXT,
	openstat_source   TEXT,
	from_tag          TEXT,
	yclid             TEXT,
	ymclid            TEXT,
	ym_client_id      TEXT,
	gclid             TEXT,
	yqrid             TEXT,
	fbclid            TEXT,
	roistat_id        TEXT,
	referrer          TEXT,
	ip                TEXT,
	extra             TEXT,
	delivery_id       INTEGER REFERENCES deliveries(id)
);
CREATE INDEX leads_account ON leads(account_id, id);
CREATE INDEX leads_phone ON leads(account_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX leads_email ON leads(account_id, email_key) WHERE email_key IS NOT NULL;
CREATE INDEX leads_source ON leads(source_id, id);
CREATE INDEX leads_delivery ON leads(delivery_id) WHERE delivery_id IS NOT NULL;

-- A sender's Idempotency-Key, per source, with the answer it got.
CREATE TABLE idempotency_keys (
	source_id  INTEGER NOT NULL REFERENCES sources(id),
	key        TEXT    NOT NULL,
	body_hash  TEXT    NOT NULL,
	status     INTEGER NOT NULL,
	response   BLOB    NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (source_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
