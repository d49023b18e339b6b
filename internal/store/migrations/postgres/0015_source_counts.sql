-- The sources page counts each source's leads but the deleted ones. The
-- count of all of them reads the leads_source index alone; this one holds
-- the deleted leads only, so the pair costs two index reads instead of a
-- visit to every lead's row, and a new lead, never deleted, adds nothing
-- to it.
CREATE INDEX leads_deleted ON leads (source_id) WHERE deleted_at IS NOT NULL;
