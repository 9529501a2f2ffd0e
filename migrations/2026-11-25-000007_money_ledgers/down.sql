DROP INDEX idx_house_ledger_created;
DROP INDEX idx_house_ledger_user;
DROP TABLE house_ledger;
DROP INDEX idx_ledger_entries_user;
DROP TABLE ledger_entries;
