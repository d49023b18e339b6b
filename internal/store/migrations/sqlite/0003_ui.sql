-- The web UI: each user's language.
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'ru';
