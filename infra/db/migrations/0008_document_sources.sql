-- Up Migration

-- The place on the place-and-date line of the documents an organization issues ("Hải Phòng, ngày …").
-- Inherited: a document takes the nearest place up the tree.
ALTER TABLE organizations ADD COLUMN place text CHECK (length(place) BETWEEN 1 AND 100);

-- What a document was made from: the step it belongs to (its position in the case, so a step done twice
-- gets its own paper) and the sign-off data (ids, dates, counts — the names are read again from Postgres
-- when it is re-rendered, so a corrected name reaches the new version).
ALTER TABLE documents
  ADD COLUMN issue_key text,
  ADD COLUMN source    jsonb;
-- A version number is unique per issue of a form (two introducers each have their 3-KNĐ, version 1).
ALTER TABLE documents DROP CONSTRAINT documents_case_id_form_version_key;
CREATE UNIQUE INDEX documents_issue_idx ON documents (case_id, form, issue_key, version DESC) NULLS NOT DISTINCT;

-- Down Migration
DROP INDEX documents_issue_idx;
ALTER TABLE documents ADD CONSTRAINT documents_case_id_form_version_key UNIQUE (case_id, form, version);
ALTER TABLE documents DROP COLUMN source, DROP COLUMN issue_key;
ALTER TABLE organizations DROP COLUMN place;
