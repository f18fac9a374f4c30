-- Up Migration

-- CSV imports run as jobs: what was asked, how far it got, and the per-row report. The CSV itself (names,
-- birth dates) is not kept here. A job whose heartbeat stopped (its API process ended) shows as
-- interrupted; running the same file again continues it, since imports skip what they already made.
CREATE TABLE import_jobs (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind          text NOT NULL CHECK (kind IN ('candidates', 'enterprises')),
  created_by    uuid NOT NULL REFERENCES users (id),
  status        text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  total         integer NOT NULL,
  done          integer NOT NULL DEFAULT 0,
  report        jsonb NOT NULL,
  result        jsonb,
  error         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  heartbeat_at  timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);
CREATE INDEX import_jobs_user_idx ON import_jobs (created_by, created_at DESC);

-- A case imported from paper reserves its decision numbers before its workflow writes the case row (and
-- releases them if the workflow refuses the history): the reservation may come first.
ALTER TABLE decision_numbers DROP CONSTRAINT decision_numbers_case_id_fkey;
