-- PostgreSQL twin of sqlite/0012_sender_checks.sql.
-- What named senders' connection checks need, and sources that go quiet.

-- confirm_code: the text a sender's connection check wants back (VK's
-- Callback API confirmation string). sender_secret: a secret the sender puts
-- in each request (VK's "secret"); requests without it are refused.
-- quiet_minutes: the longest gap between leads, in working minutes, before
-- the source counts as quiet, set by hand; 0 learns it from the history.
ALTER TABLE sources ADD COLUMN confirm_code  TEXT    NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN sender_secret TEXT    NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN quiet_minutes INTEGER NOT NULL DEFAULT 0;

-- A source the quiet check found quiet, until a lead comes again: apart from
-- sources so that raising and clearing the alarm does not bump the row's
-- revision (and the webhook's copies of it). reason: 'gap' (no lead for
-- longer than expected) or 'refused' (the last requests were all refused).
-- since: when the alarm was raised, ms. expected: the gap the check
-- expected, in working minutes. last_lead: the newest lead then, ms.
CREATE TABLE source_quiet (
	source_id  BIGINT PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
	account_id BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	reason     TEXT    NOT NULL,
	since      BIGINT  NOT NULL,
	expected   INTEGER NOT NULL DEFAULT 0,
	last_lead  BIGINT
);
CREATE INDEX source_quiet_account ON source_quiet(account_id);
