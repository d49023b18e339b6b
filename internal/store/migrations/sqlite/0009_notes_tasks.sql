-- Working a lead: notes managers write on it and tasks with a due time
-- for one user. Times are unix seconds. A deleted note is gone (its author
-- took it back within minutes); a task is kept, done or open.

CREATE TABLE lead_notes (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts(id),
	lead_id    INTEGER NOT NULL REFERENCES leads(id),
	user_id    INTEGER REFERENCES users(id),
	text       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER
);
CREATE INDEX lead_notes_lead ON lead_notes(lead_id, id);

CREATE TABLE tasks (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id  INTEGER NOT NULL REFERENCES accounts(id),
	lead_id     INTEGER NOT NULL REFERENCES leads(id),
	text        TEXT    NOT NULL,
	due_at      INTEGER NOT NULL,
	assignee_id INTEGER REFERENCES users(id),
	created_by  INTEGER REFERENCES users(id),
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	done_at     INTEGER,
	done_by     INTEGER REFERENCES users(id)
);
CREATE INDEX tasks_lead ON tasks(lead_id, id);
-- «Мои задачи» and the due count every page shows: a user's open tasks by due time.
CREATE INDEX tasks_assignee_open ON tasks(assignee_id, due_at) WHERE done_at IS NULL;
CREATE INDEX tasks_account_due ON tasks(account_id, due_at);
