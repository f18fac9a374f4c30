-- Runs once, when the postgres volume is empty (docker-entrypoint-initdb.d), as POSTGRES_USER.
-- The application's database, and Temporal's two (temporal-sql-tool, run by the temporal service's
-- auto-setup, then creates their schemas; SKIP_DB_CREATE=true leaves the creation to this file).
CREATE DATABASE admissions;
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
