-- Up Migration

-- Minimal organization tree: enough for cases to belong somewhere. Extended by the org-tree migration.
CREATE TABLE organizations (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  kind        text NOT NULL CHECK (kind IN ('upper-committee', 'grassroots-committee', 'partial-committee',
                                            'cell', 'grassroots-cell')),
  parent_id   uuid REFERENCES organizations (id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organizations_parent_idx ON organizations (parent_id);

-- Candidates and members. Personal data lives here, never in workflow history or search attributes.
CREATE TABLE people (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  full_name      text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
  date_of_birth  date NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- Read model: one row per case, projected from case_events by the worker's activities.
CREATE TABLE cases (
  id               uuid PRIMARY KEY,
  type             text NOT NULL CHECK (type IN ('admission', 'cell-establishment')),
  workflow_id      text NOT NULL UNIQUE,
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  person_id        uuid REFERENCES people (id),
  status           text NOT NULL CHECK (status IN ('open', 'completed', 'withdrawn', 'rejected')),
  current_step     text,
  rule_set         text NOT NULL,
  opened_at        timestamptz NOT NULL,
  closed_at        timestamptz,
  updated_at       timestamptz NOT NULL,
  last_seq         integer NOT NULL
);
-- Keyset pagination: newest first, ties broken by id.
CREATE INDEX cases_opened_idx ON cases (opened_at DESC, id DESC);
CREATE INDEX cases_org_opened_idx ON cases (organization_id, opened_at DESC, id DESC);
CREATE INDEX cases_step_idx ON cases (current_step) WHERE status = 'open';

-- Case history, one row per workflow event; (case_id, seq) is the idempotency key of every write.
CREATE TABLE case_events (
  case_id      uuid NOT NULL REFERENCES cases (id),
  seq          integer NOT NULL CHECK (seq > 0),
  kind         text NOT NULL,
  step         text,
  occurred_at  timestamptz NOT NULL,
  data         jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (case_id, seq)
);
