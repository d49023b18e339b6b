-- A funnel out of the box, and time zones.
--
-- A stage's outcome says what reaching it means: "open" (work goes on),
-- "won" (a sale) or "lost" (a refusal), so reports can count conversions
-- whatever the stages are called. An account without stages gets the same
-- five a new account gets (store.DefaultStages; a test keeps them equal).
-- Times are shown in the account's time zone, or in a user's own when set.
ALTER TABLE funnel_stages ADD COLUMN outcome TEXT NOT NULL DEFAULT 'open' CHECK (outcome IN ('open', 'won', 'lost'));
ALTER TABLE accounts ADD COLUMN timezone TEXT NOT NULL DEFAULT 'Europe/Moscow';
ALTER TABLE users ADD COLUMN timezone TEXT NOT NULL DEFAULT '';

WITH d(name, position, color, outcome) AS (VALUES
	('Новая', 1, '#3b82f6', 'open'),
	('В работе', 2, '#f59e0b', 'open'),
	('Встреча назначена', 3, '#8b5cf6', 'open'),
	('Успешно', 4, '#16a34a', 'won'),
	('Отказ', 5, '#dc2626', 'lost'))
INSERT INTO funnel_stages (account_id, name, position, color, outcome, created_at)
SELECT a.id, d.name, d.position, d.color, d.outcome, CAST(strftime('%s', 'now') AS INTEGER)
FROM accounts a, d
WHERE NOT EXISTS (SELECT 1 FROM funnel_stages f WHERE f.account_id = a.id)
ORDER BY a.id, d.position;
