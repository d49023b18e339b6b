-- PostgreSQL twin of sqlite/0014_inbox_scale.sql.
--
-- lead_hours: for each account and hour of dt_create, the smallest and the
-- largest id of its leads, so that a period's page walks leads_account down
-- from the period's largest id instead of from the newest lead or through
-- the whole period (60–390 ms for a month in the middle of a million-lead
-- year). Exact whatever order leads came in: a lead out of order only
-- widens its hour's range.
CREATE TABLE lead_hours (
	account_id BIGINT NOT NULL,
	hour       BIGINT NOT NULL,
	min_id     BIGINT NOT NULL,
	max_id     BIGINT NOT NULL,
	PRIMARY KEY (account_id, hour)
);

INSERT INTO lead_hours (account_id, hour, min_id, max_id)
	SELECT account_id, dt_create / 3600, min(id), max(id) FROM leads GROUP BY account_id, dt_create / 3600;

-- lead_tallies: the live leads of each account per source, stage, owner and
-- duplicate or not (0 for none), so that the inbox's total of any of these
-- filters is a sum over a few rows, exact at any size (counting them from
-- the leads took 0.1-1.7 s at a million). A period or a search is still
-- counted from the leads.
CREATE TABLE lead_tallies (
	account_id BIGINT  NOT NULL,
	source_id  BIGINT  NOT NULL,
	stage_id   BIGINT  NOT NULL,
	owner_id   BIGINT  NOT NULL,
	dup        BOOLEAN NOT NULL,
	n          BIGINT  NOT NULL,
	PRIMARY KEY (account_id, source_id, stage_id, owner_id, dup)
);

INSERT INTO lead_tallies (account_id, source_id, stage_id, owner_id, dup, n)
	SELECT account_id, coalesce(source_id, 0), coalesce(funnel_stage_id, 0), coalesce(user_id_owner, 0),
		first_id IS NOT NULL, count(*)
	FROM leads WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4, 5;

-- One call per INSERT into leads (the pipeline writes a group's leads in
-- one statement), not one per lead: the new rows grouped, in key order, so
-- that two transactions lock the rows they share in the same order. A
-- transaction holds the rows it changed until it commits: two groups
-- writing leads of the same account, hour and tally take turns at the end
-- of their transactions.
CREATE FUNCTION leads_tally_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO lead_hours (account_id, hour, min_id, max_id)
		SELECT account_id, dt_create / 3600, min(id), max(id) FROM new_leads
		GROUP BY 1, 2 ORDER BY 1, 2
		ON CONFLICT (account_id, hour) DO UPDATE
		SET min_id = least(lead_hours.min_id, excluded.min_id), max_id = greatest(lead_hours.max_id, excluded.max_id)
		WHERE excluded.min_id < lead_hours.min_id OR excluded.max_id > lead_hours.max_id;
	INSERT INTO lead_tallies (account_id, source_id, stage_id, owner_id, dup, n)
		SELECT account_id, coalesce(source_id, 0), coalesce(funnel_stage_id, 0), coalesce(user_id_owner, 0),
			first_id IS NOT NULL, count(*)
		FROM new_leads WHERE deleted_at IS NULL
		GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
		ON CONFLICT (account_id, source_id, stage_id, owner_id, dup) DO UPDATE SET n = lead_tallies.n + excluded.n;
	RETURN NULL;
END
$$;

CREATE TRIGGER leads_tally_insert AFTER INSERT ON leads REFERENCING NEW TABLE AS new_leads
	FOR EACH STATEMENT EXECUTE FUNCTION leads_tally_insert();

-- An edit, a deletion (deleted_at) or its undoing moves the lead between
-- tallies; nothing changes a lead's account or creation time today, but
-- should anything ever, its new hour takes its id too.
--
-- The lead leaves its old tally and joins its new one in key order, as the
-- insert trigger locks its rows, so that an edit and a group of new leads
-- never wait for each other in a circle.
CREATE FUNCTION leads_tally_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	k bigint[];
	ks bigint[][] := '{}';
	delta bigint;
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
		ks := ks || ARRAY[[OLD.account_id, coalesce(OLD.source_id, 0), coalesce(OLD.funnel_stage_id, 0),
			coalesce(OLD.user_id_owner, 0), (OLD.first_id IS NOT NULL)::int, -1]];
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.deleted_at IS NULL THEN
		ks := ks || ARRAY[[NEW.account_id, coalesce(NEW.source_id, 0), coalesce(NEW.funnel_stage_id, 0),
			coalesce(NEW.user_id_owner, 0), (NEW.first_id IS NOT NULL)::int, 1]];
	END IF;
	IF array_length(ks, 1) = 2 AND (ks[2][1], ks[2][2], ks[2][3], ks[2][4], ks[2][5]) < (ks[1][1], ks[1][2], ks[1][3], ks[1][4], ks[1][5]) THEN
		ks := ks[2:2][:] || ks[1:1][:];
	END IF;
	FOREACH k SLICE 1 IN ARRAY ks LOOP
		delta := k[6];
		INSERT INTO lead_tallies (account_id, source_id, stage_id, owner_id, dup, n)
			VALUES (k[1], k[2], k[3], k[4], k[5] = 1, delta)
			ON CONFLICT (account_id, source_id, stage_id, owner_id, dup) DO UPDATE SET n = lead_tallies.n + delta;
	END LOOP;
	IF TG_OP = 'UPDATE' AND (OLD.account_id, OLD.dt_create, OLD.id) IS DISTINCT FROM (NEW.account_id, NEW.dt_create, NEW.id) THEN
		INSERT INTO lead_hours (account_id, hour, min_id, max_id)
			VALUES (NEW.account_id, NEW.dt_create / 3600, NEW.id, NEW.id)
			ON CONFLICT (account_id, hour) DO UPDATE
			SET min_id = least(lead_hours.min_id, excluded.min_id), max_id = greatest(lead_hours.max_id, excluded.max_id);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER leads_tally_update AFTER UPDATE OF account_id, source_id, funnel_stage_id, user_id_owner, first_id,
	deleted_at, dt_create, id ON leads
	FOR EACH ROW WHEN ((OLD.account_id, OLD.source_id, OLD.funnel_stage_id, OLD.user_id_owner, OLD.first_id IS NULL,
		OLD.deleted_at IS NULL, OLD.dt_create, OLD.id) IS DISTINCT FROM (NEW.account_id, NEW.source_id,
		NEW.funnel_stage_id, NEW.user_id_owner, NEW.first_id IS NULL, NEW.deleted_at IS NULL, NEW.dt_create, NEW.id))
	EXECUTE FUNCTION leads_tally_update();

CREATE TRIGGER leads_tally_delete AFTER DELETE ON leads
	FOR EACH ROW WHEN (OLD.deleted_at IS NULL) EXECUTE FUNCTION leads_tally_update();

-- The dashboard's counts of 30 days read utm_campaign from the table for
-- each lead of the period; with it in leads_account_period they read the
-- index alone.
DROP INDEX leads_account_period;
CREATE INDEX leads_account_period ON leads(account_id, dt_create)
	INCLUDE (id, source_id, funnel_stage_id, user_id_owner, first_id, deleted_at, utm_campaign);
ANALYZE lead_hours;
ANALYZE lead_tallies;
