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

-- The planner estimates LIKE '%part%' from the histogram of the column or
-- index expression: with the default 100 entries, a part held by 1% of the
-- phones (three digits) is often in none of them, and the estimate falls to
-- 0.01% — a bitmap scan that reads and sorts 9,000 leads (40–300 ms at a
-- million) instead of walking the newest down until fifty match (5–10 ms).
-- 500 entries estimate these within a few tenths (measured at a million
-- leads); ANALYZE samples 150,000 rows instead of 30,000.
ALTER TABLE leads ALTER COLUMN phone SET STATISTICS 500;
ALTER INDEX leads_search ALTER COLUMN 1 SET STATISTICS 500;
ALTER INDEX leads_search ALTER COLUMN 2 SET STATISTICS 500;
