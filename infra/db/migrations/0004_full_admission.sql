-- Up Migration

-- A probationary member can be struck off (xóa tên).
ALTER TABLE cases DROP CONSTRAINT cases_status_check;
ALTER TABLE cases ADD CONSTRAINT cases_status_check CHECK (status IN ('open', 'completed', 'withdrawn', 'rejected', 'struck-off'));

-- Decision numbers are unique per issuing organization and year (a gap-free register comes with documents).
CREATE TABLE decision_numbers (
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  year             integer NOT NULL,
  number           text NOT NULL,
  case_id          uuid NOT NULL REFERENCES cases (id),
  step             text NOT NULL,
  PRIMARY KEY (organization_id, year, number)
);
CREATE UNIQUE INDEX decision_numbers_case_step_idx ON decision_numbers (case_id, step);

-- Comments on a case: staff notes, kept with the case (not in workflow history: they may name people).
CREATE TABLE case_comments (
  id          bigserial PRIMARY KEY,
  case_id     uuid NOT NULL REFERENCES cases (id),
  author_id   uuid NOT NULL REFERENCES users (id),
  body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_comments_case_idx ON case_comments (case_id, id);
