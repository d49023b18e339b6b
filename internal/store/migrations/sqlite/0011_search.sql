-- Substring search over leads' names, emails and phones (issue 18): a
-- trigram index, so that a part of a surname or a few digits of a number
-- are found without reading every lead. FTS5's trigram tokenizer indexes
-- every three characters of a column, and a quoted phrase of three or more
-- characters matches exactly the rows holding it as a substring.
--
-- The index holds the search form of each column, which the store's
-- searchKey gives queries too: name_key and email_key are already
-- lower-cased by Go (SQLite's own lower() knows ASCII only), and «ё» is
-- written «е», so «Семён» and «семен» find each other. Phones are digits.
-- Hence case_sensitive 1: nothing is left for the tokenizer to fold.
-- Contentless: the text lives in leads; contentless_delete lets the
-- triggers delete a row by its rowid, the lead's id.
CREATE VIRTUAL TABLE leads_search USING fts5(name, email, phone,
	content = '', contentless_delete = 1, detail = column, tokenize = 'trigram case_sensitive 1');

-- FTS5 merges an index's segments as it goes; at its default (4) the
-- merging on each group commit cost SQLite's intake about 13% of its
-- throughput (leadbox-bench, c=64, A/B in alternating rounds); merging 16
-- at a time costs about 7%, with more segments for a search to read.
-- detail=column keeps no positions: a query is single trigrams, and the
-- LIKE decides.
INSERT INTO leads_search (leads_search, rank) VALUES ('automerge', 16);

INSERT INTO leads_search (rowid, name, email, phone)
	SELECT id, replace(name_key, 'ё', 'е'), replace(email_key, 'ё', 'е'), phone FROM leads;

-- Triggers keep the index whatever writes leads: the pipeline, edits, and
-- anything that later clears a lead's contacts. Deleted leads (deleted_at)
-- stay indexed; the list's own condition hides them.
CREATE TRIGGER leads_search_insert AFTER INSERT ON leads
BEGIN
	INSERT INTO leads_search (rowid, name, email, phone)
		VALUES (NEW.id, replace(NEW.name_key, 'ё', 'е'), replace(NEW.email_key, 'ё', 'е'), NEW.phone);
END;

CREATE TRIGGER leads_search_update AFTER UPDATE OF name_key, email_key, phone ON leads
	WHEN OLD.name_key IS NOT NEW.name_key OR OLD.email_key IS NOT NEW.email_key OR OLD.phone IS NOT NEW.phone
BEGIN
	DELETE FROM leads_search WHERE rowid = OLD.id;
	INSERT INTO leads_search (rowid, name, email, phone)
		VALUES (NEW.id, replace(NEW.name_key, 'ё', 'е'), replace(NEW.email_key, 'ё', 'е'), NEW.phone);
END;

CREATE TRIGGER leads_search_delete AFTER DELETE ON leads
BEGIN
	DELETE FROM leads_search WHERE rowid = OLD.id;
END;
