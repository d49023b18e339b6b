-- The inbox's period filter at a million leads (issue 18). The inbox lists
-- newest first, by id; a period is a range of dt_create. A month in the
-- middle of the year was either walked down by id from the newest lead
-- (every later lead passed first) or read whole from leads_account_period
-- and sorted (its 80,000 leads for a page of fifty): 60–270 ms.
--
-- lead_hours keeps, for each account and hour of dt_create (dt_create /
-- 3600), the smallest and the largest id of the leads created in it. The
-- ids of a period's leads then lie between the smallest min_id and the
-- largest max_id of the hours it touches, and the page walks the ids down
-- from there (the table's rowid, or an index of a filter ending in the id):
-- ids follow time closely, so it passes about an hour of leads outside the
-- period. The bounds are exact
-- whatever order the leads came in: a lead created out of order only widens
-- its hour's range. They are never narrowed: a deleted lead's id stays
-- inside them, which costs a step of the walk and changes no answer.
--
-- Triggers keep the table, whatever writes leads.
CREATE TABLE lead_hours (
	account_id INTEGER NOT NULL,
	hour       INTEGER NOT NULL,
	min_id     INTEGER NOT NULL,
	max_id     INTEGER NOT NULL,
	PRIMARY KEY (account_id, hour)
) WITHOUT ROWID;

INSERT INTO lead_hours (account_id, hour, min_id, max_id)
	SELECT account_id, dt_create / 3600, min(id), max(id) FROM leads GROUP BY account_id, dt_create / 3600;

-- The inbox's total for its filter: counting a million-lead account's leads
-- took 0.1-1.7 s (every lead of a source and stage looked up in the table).
-- lead_tallies counts the live leads of each account per source, stage,
-- owner and duplicate or not (0 for none), so that a total of any of these
-- filters — the whole account, a source and a stage, duplicates only, a
-- kanban column — is a sum over at most sources × stages × owners × 2 rows,
-- exact at any size. A period or a search is still counted from the leads.
CREATE TABLE lead_tallies (
	account_id INTEGER NOT NULL,
	source_id  INTEGER NOT NULL,
	stage_id   INTEGER NOT NULL,
	owner_id   INTEGER NOT NULL,
	dup        INTEGER NOT NULL,
	n          INTEGER NOT NULL,
	PRIMARY KEY (account_id, source_id, stage_id, owner_id, dup)
) WITHOUT ROWID;

INSERT INTO lead_tallies (account_id, source_id, stage_id, owner_id, dup, n)
	SELECT account_id, coalesce(source_id, 0), coalesce(funnel_stage_id, 0), coalesce(user_id_owner, 0),
		first_id IS NOT NULL, count(*)
	FROM leads WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4, 5;

-- One trigger for both tables: the pipeline's intake pays one dispatch per
-- lead.
CREATE TRIGGER leads_tally_insert AFTER INSERT ON leads
BEGIN
	INSERT INTO lead_hours (account_id, hour, min_id, max_id)
		VALUES (NEW.account_id, NEW.dt_create / 3600, NEW.id, NEW.id)
		ON CONFLICT (account_id, hour) DO UPDATE
		SET min_id = min(min_id, excluded.min_id), max_id = max(max_id, excluded.max_id);
	INSERT INTO lead_tallies (account_id, source_id, stage_id, owner_id, dup, n)
		SELECT NEW.account_id, coalesce(NEW.source_id, 0), coalesce(NEW.funnel_stage_id, 0),
			coalesce(NEW.user_id_owner, 0), NEW.first_id IS NOT NULL, 1
		WHERE NEW.deleted_at IS NULL
		ON CONFLICT (account_id, source_id, stage_id, owner_id, dup) DO UPDATE SET n = n + 1;
END;

-- An edit, a deletion (deleted_at) or its undoing moves the lead between
-- tallies.
CREATE TRIGGER leads_tally_update AFTER UPDATE OF account_id, source_id, funnel_stage_id, user_id_owner, first_id,
	deleted_at ON leads
	WHEN OLD.account_id IS NOT NEW.account_id OR OLD.source_id IS NOT NEW.source_id
		OR OLD.funnel_stage_id IS NOT NEW.funnel_stage_id OR OLD.user_id_owner IS NOT NEW.user_id_owner
		OR (OLD.first_id IS NULL) <> (NEW.first_id IS NULL) OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
BEGIN
	UPDATE lead_tallies SET n = n - 1
		WHERE OLD.deleted_at IS NULL AND account_id = OLD.account_id AND source_id = coalesce(OLD.source_id, 0)
			AND stage_id = coalesce(OLD.funnel_stage_id, 0) AND owner_id = coalesce(OLD.user_id_owner, 0)
			AND dup = (OLD.first_id IS NOT NULL);
	INSERT INTO lead_tallies (account_id, source_id, stage_id, owner_id, dup, n)
		SELECT NEW.account_id, coalesce(NEW.source_id, 0), coalesce(NEW.funnel_stage_id, 0),
			coalesce(NEW.user_id_owner, 0), NEW.first_id IS NOT NULL, 1
		WHERE NEW.deleted_at IS NULL
		ON CONFLICT (account_id, source_id, stage_id, owner_id, dup) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER leads_tally_delete AFTER DELETE ON leads WHEN OLD.deleted_at IS NULL
BEGIN
	UPDATE lead_tallies SET n = n - 1
		WHERE account_id = OLD.account_id AND source_id = coalesce(OLD.source_id, 0)
			AND stage_id = coalesce(OLD.funnel_stage_id, 0) AND owner_id = coalesce(OLD.user_id_owner, 0)
			AND dup = (OLD.first_id IS NOT NULL);
END;

-- Nothing changes a lead's account or creation time today; should anything
-- ever, its new hour takes its id too.
CREATE TRIGGER leads_hours_update AFTER UPDATE OF account_id, dt_create, id ON leads
	WHEN OLD.account_id IS NOT NEW.account_id OR OLD.dt_create IS NOT NEW.dt_create OR OLD.id IS NOT NEW.id
BEGIN
	INSERT INTO lead_hours (account_id, hour, min_id, max_id)
		VALUES (NEW.account_id, NEW.dt_create / 3600, NEW.id, NEW.id)
		ON CONFLICT (account_id, hour) DO UPDATE
		SET min_id = min(min_id, excluded.min_id), max_id = max(max_id, excluded.max_id);
END;

-- The dashboard's four counts of 30 days read utm_campaign from the table
-- for each lead of the period (80,000 row lookups at a million leads a
-- year, 0.4–0.8 s). With it in leads_account_period every count of the
-- dashboard reads that index alone.
DROP INDEX leads_account_period;
CREATE INDEX leads_account_period ON leads(account_id, dt_create, source_id, funnel_stage_id, user_id_owner, first_id,
	deleted_at, utm_campaign);
ANALYZE leads;
ANALYZE lead_hours;
ANALYZE lead_tallies;
