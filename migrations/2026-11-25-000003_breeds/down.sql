DROP TABLE breeds;
