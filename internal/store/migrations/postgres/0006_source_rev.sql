-- PostgreSQL twin of sqlite/0006_source_rev.sql.
-- A source's revision, bumped by every change to its row, whoever makes it:
-- a process that keeps sources in memory checks in one index lookup that its
-- copy is still the row, so rotating, disabling or re-configuring a source
-- from another process (a CLI command, a second server) takes effect at the
-- next request.
ALTER TABLE sources ADD COLUMN rev BIGINT NOT NULL DEFAULT 0;
CREATE INDEX sources_token_rev ON sources(token_hash, rev);
CREATE FUNCTION sources_bump_rev() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.rev := OLD.rev + 1;
	RETURN NEW;
END
$$;
CREATE TRIGGER sources_rev BEFORE UPDATE ON sources FOR EACH ROW EXECUTE FUNCTION sources_bump_rev();
