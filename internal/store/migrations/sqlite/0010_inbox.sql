-- The inbox a sales team expects (issue 17): each user's saved filters, and
-- the spreadsheets being imported, kept between the upload, the column
-- mapping and the import itself (a form post may reach another process).
CREATE TABLE saved_filters (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts(id),
	user_id    INTEGER NOT NULL REFERENCES users(id),
	name       TEXT    NOT NULL,
	query      TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (user_id, name)
);

CREATE TABLE import_files (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts(id),
	user_id    INTEGER NOT NULL REFERENCES users(id),
	name       TEXT    NOT NULL,
	data       BLOB    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX import_files_created ON import_files(created_at);
