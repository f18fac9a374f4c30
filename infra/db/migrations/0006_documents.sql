-- Up Migration

-- Gap-free numbers per issuing organization, year and series (QĐ decisions, NQ resolutions …). The counter
-- row is bumped in the transaction that stores the document: a failure rolls both back, so no number is
-- skipped and none is given twice.
CREATE TABLE document_counters (
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  year             integer NOT NULL,
  series           text NOT NULL CHECK (series ~ '^[A-ZĐ]{1,10}$'),
  last_number      integer NOT NULL CHECK (last_number > 0),
  PRIMARY KEY (organization_id, year, series)
);

-- Rendered documents. Re-rendering stores a new version; the workflow keeps only ids.
CREATE TABLE documents (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id          uuid NOT NULL REFERENCES cases (id),
  step             text NOT NULL,
  form             text NOT NULL,
  version          integer NOT NULL CHECK (version > 0),
  issuing_org_id   uuid REFERENCES organizations (id),
  year             integer,
  series           text,
  number           integer,
  number_text      text,
  html             text NOT NULL,
  sha256           text NOT NULL,
  created_by       uuid,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (case_id, form, version),
  UNIQUE (issuing_org_id, year, series, number)
);
CREATE INDEX documents_case_idx ON documents (case_id, form, version DESC);
