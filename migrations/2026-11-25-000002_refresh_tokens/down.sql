DROP INDEX idx_refresh_tokens_parent;
DROP INDEX idx_refresh_tokens_user;
DROP INDEX idx_refresh_tokens_family;
DROP TABLE refresh_tokens;
