-- «Только дубли» lists the leads that repeat an earlier contact, newest
-- first. Where they are few, walking every lead newest first to find fifty
-- read the whole table. Only repeats enter this index; a first lead, the
-- most of them, costs nothing more.
CREATE INDEX leads_dups ON leads (account_id, id) WHERE first_id IS NOT NULL AND deleted_at IS NULL;
