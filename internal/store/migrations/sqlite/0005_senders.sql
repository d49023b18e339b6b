-- Every real sender on one URL: how a source reads form posts and browser
-- forms, and what the delivery log needs to quarantine and re-process them.

-- How a source reads requests: a preset of field names ('leadbox', 'tilda',
-- 'form') and the admin's own aliases on top (a JSON object, incoming name →
-- lead field, "" to keep it as an extra key).
ALTER TABLE sources ADD COLUMN preset       TEXT    NOT NULL DEFAULT 'leadbox';
ALTER TABLE sources ADD COLUMN aliases      TEXT    NOT NULL DEFAULT '{}';
ALTER TABLE sources ADD COLUMN allow_get    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN cors_origins TEXT    NOT NULL DEFAULT '';  -- one origin per line, or *
ALTER TABLE sources ADD COLUMN redirect_url TEXT    NOT NULL DEFAULT '';  -- thank-you page for HTML forms
ALTER TABLE sources ADD COLUMN honeypot     TEXT    NOT NULL DEFAULT '';  -- a field only bots fill
ALTER TABLE sources ADD COLUMN rate_per_min INTEGER NOT NULL DEFAULT 0;   -- 0: the installation's limit

-- query: a GET request's query string (its data). mapped: the fields as the
-- source's mapping read them, when that differs from the body. mark: 'test'
-- (a connection check), 'spam' (honeypot filled), 'origin' (a browser on
-- an origin not allowed). notes: what was left out (file parts).
-- reprocessed_at: when an admin turned this rejected request into a lead.
ALTER TABLE deliveries ADD COLUMN query          TEXT    NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN mapped         TEXT;
ALTER TABLE deliveries ADD COLUMN mark           TEXT    NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN notes          TEXT    NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN reprocessed_at INTEGER;
