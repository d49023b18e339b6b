-- A source's revision, bumped by every change to its row, whoever makes it:
-- a process that keeps sources in memory checks in one index lookup that its
-- copy is still the row, so rotating, disabling or re-configuring a source
-- from another process (a CLI command, a second server) takes effect at the
-- next request.
ALTER TABLE sources ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sources_token_rev ON sources(token_hash, rev);
CREATE TRIGGER sources_rev AFTER UPDATE ON sources WHEN NEW.rev = OLD.rev
BEGIN
	UPDATE sources SET rev = OLD.rev + 1 WHERE id = NEW.id;
END;
