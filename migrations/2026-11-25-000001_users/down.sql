DROP TRIGGER users_set_updated_at ON users;
DROP INDEX idx_users_xp;
DROP INDEX users_username_lower_key;
DROP TABLE users;
DROP FUNCTION equoria_set_updated_at();
