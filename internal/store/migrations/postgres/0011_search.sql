-- PostgreSQL twin of sqlite/0011_search.sql: substring search over leads'
-- names, emails and phones (issue 18) with pg_trgm's GIN operator class, on
-- the search form of each column that the store's searchKey gives queries
-- too: name_key and email_key are lower-cased by Go, and «ё» is written
-- «е». A LIKE '%part%' of three or more characters then reads the index and
-- rechecks the rows it names, so the answer is exact.
--
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the
-- database's owner may create it. It may already live in another schema
-- (one extension per database), so the operator class is named by the
-- schema it is in.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

DO $$
DECLARE
	ops text := (SELECT quote_ident(n.nspname) || '.gin_trgm_ops'
		FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm');
BEGIN
	EXECUTE format($i$CREATE INDEX leads_search ON leads USING gin (
		(replace(name_key, 'ё', 'е')) %1$s, (replace(email_key, 'ё', 'е')) %1$s, phone %1$s)$i$, ops);
END
$$;
