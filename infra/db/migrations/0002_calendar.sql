-- Up Migration

-- A year's schedule as the government announced it. Years without a row follow the law-derived defaults
-- computed in workflows/calendar/holidays.ts.
CREATE TABLE calendar_years (
  year        integer PRIMARY KEY CHECK (year BETWEEN 1901 AND 2099),
  source      text NOT NULL CHECK (length(source) BETWEEN 1 AND 1000),
  -- Bumped on every change; workflows that loaded an older version recompute their due dates.
  version     integer NOT NULL DEFAULT 1,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE calendar_days (
  date     date PRIMARY KEY,
  year     integer NOT NULL REFERENCES calendar_years (year) ON DELETE CASCADE,
  kind     text NOT NULL CHECK (kind IN ('holiday', 'compensatory', 'bridge', 'make-up')),
  holiday  text CHECK (holiday IN ('new-year', 'tet', 'hung-kings', 'reunification', 'labour', 'national-day')),
  note     text CHECK (length(note) <= 300),
  CHECK (extract(year FROM date) = year),
  CHECK (kind = 'make-up' OR holiday IS NOT NULL)
);
CREATE INDEX calendar_days_year_idx ON calendar_days (year);

-- Due date of the open step, for lists, overdue reports and re-computation when a calendar changes.
ALTER TABLE cases ADD COLUMN current_step_due_on date;
CREATE INDEX cases_due_idx ON cases (current_step_due_on) WHERE status = 'open';
