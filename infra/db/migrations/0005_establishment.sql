-- Up Migration

-- Cell-establishment cases are about an enterprise.
ALTER TABLE cases ADD COLUMN enterprise_id uuid REFERENCES enterprises (id);
CREATE INDEX cases_enterprise_idx ON cases (enterprise_id) WHERE enterprise_id IS NOT NULL;

-- An organization created by an establishment case: once per case; counts as established on the decision date.
ALTER TABLE organizations
  ADD COLUMN establishment_case_id uuid UNIQUE REFERENCES cases (id),
  ADD COLUMN established_on date;

-- Persuasion meetings with an enterprise's owner: who met, when, what came of it (names stay in Postgres).
CREATE TABLE owner_meetings (
  id          bigserial PRIMARY KEY,
  case_id     uuid NOT NULL REFERENCES cases (id),
  held_on     date NOT NULL,
  attendees   text NOT NULL CHECK (length(attendees) BETWEEN 1 AND 1000),
  outcome     text NOT NULL CHECK (outcome IN ('consented', 'declined', 'undecided')),
  note        text CHECK (length(note) <= 2000),
  author_id   uuid NOT NULL REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX owner_meetings_case_idx ON owner_meetings (case_id, held_on);
