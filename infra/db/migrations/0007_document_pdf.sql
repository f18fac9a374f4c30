-- Up Migration

-- The PDF of a document, rendered after the document is stored (and on demand when missing).
ALTER TABLE documents ADD COLUMN pdf bytea, ADD COLUMN pdf_sha256 text;
