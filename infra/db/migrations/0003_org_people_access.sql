-- Up Migration

-- Enterprises in the zones: where candidates work and where new party organizations are set up.
CREATE TABLE enterprises (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  zone              text CHECK (length(zone) <= 200),
  investor_country  text CHECK (investor_country ~ '^[A-Z]{2}$'),
  workforce         integer CHECK (workforce >= 0),
  address           text CHECK (length(address) <= 500),
  tax_code          text CHECK (length(tax_code) <= 20),
  contacts          jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The org tree. `path` lists the ids from the root down to the organization itself, so that "inside this
-- subtree" is one indexed array test; it is rewritten for the whole subtree when an organization moves.
ALTER TABLE organizations
  ADD COLUMN symbol                text CHECK (length(symbol) BETWEEN 1 AND 30),
  ADD COLUMN enterprise_id         uuid REFERENCES enterprises (id),
  ADD COLUMN competent_committee_id uuid REFERENCES organizations (id),
  ADD COLUMN delegated             boolean NOT NULL DEFAULT false,
  ADD COLUMN official_members      integer NOT NULL DEFAULT 0 CHECK (official_members >= 0),
  ADD COLUMN probationary_members  integer NOT NULL DEFAULT 0 CHECK (probationary_members >= 0),
  ADD COLUMN committee_members     integer NOT NULL DEFAULT 0 CHECK (committee_members >= 0),
  ADD COLUMN work_week             text NOT NULL DEFAULT 'mon-fri' CHECK (work_week IN ('mon-fri', 'mon-sat')),
  ADD COLUMN status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'dissolved')),
  ADD COLUMN dissolved_on          date,
  ADD COLUMN path                  uuid[],
  ADD COLUMN updated_at            timestamptz NOT NULL DEFAULT now();

WITH RECURSIVE tree AS (
  SELECT id, ARRAY[id] AS path FROM organizations WHERE parent_id IS NULL
  UNION ALL
  SELECT o.id, t.path || o.id FROM organizations o JOIN tree t ON o.parent_id = t.id
)
UPDATE organizations o SET path = tree.path FROM tree WHERE tree.id = o.id;
ALTER TABLE organizations ALTER COLUMN path SET NOT NULL;
CREATE INDEX organizations_path_idx ON organizations USING gin (path);
-- A document-number symbol names one active organization.
CREATE UNIQUE INDEX organizations_symbol_active_idx ON organizations (lower(symbol)) WHERE status = 'active' AND symbol IS NOT NULL;

-- Every change to an organization, with the state before and after (moves and dissolutions included).
CREATE TABLE organization_history (
  id               bigserial PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  at               timestamptz NOT NULL DEFAULT now(),
  actor_user_id    uuid,
  change           text NOT NULL CHECK (change IN ('created', 'updated', 'moved', 'dissolved')),
  before           jsonb,
  after            jsonb NOT NULL
);
CREATE INDEX organization_history_org_idx ON organization_history (organization_id, at);

-- People: candidates and members, with the fields of forms 1-KNĐ / 2-KNĐ. Sensitive: never leaves Postgres
-- except to authorised readers (no workflow payloads, search attributes or logs).
ALTER TABLE people
  ADD COLUMN organization_id            uuid REFERENCES organizations (id),
  ADD COLUMN sex                        text CHECK (sex IN ('male', 'female')),
  ADD COLUMN birth_name                 text CHECK (length(birth_name) <= 200),
  ADD COLUMN aliases                    text CHECK (length(aliases) <= 200),
  ADD COLUMN place_of_birth             text CHECK (length(place_of_birth) <= 300),
  ADD COLUMN hometown                   text CHECK (length(hometown) <= 300),
  ADD COLUMN permanent_residence        text CHECK (length(permanent_residence) <= 300),
  ADD COLUMN temporary_residence        text CHECK (length(temporary_residence) <= 300),
  ADD COLUMN ethnicity                  text CHECK (length(ethnicity) <= 100),
  ADD COLUMN religion                   text CHECK (length(religion) <= 100),
  ADD COLUMN general_education          text CHECK (length(general_education) <= 100),
  ADD COLUMN professional_qualification text CHECK (length(professional_qualification) <= 300),
  ADD COLUMN political_theory           text CHECK (length(political_theory) <= 100),
  ADD COLUMN foreign_language           text CHECK (length(foreign_language) <= 100),
  ADD COLUMN occupation                 text CHECK (length(occupation) <= 300),
  ADD COLUMN workplace_enterprise_id    uuid REFERENCES enterprises (id),
  ADD COLUMN youth_union_joined_on      date,
  ADD COLUMN trade_union_joined_on      date,
  ADD COLUMN member_status              text NOT NULL DEFAULT 'none'
                                        CHECK (member_status IN ('none', 'probationary', 'full', 'struck-off')),
  ADD COLUMN admitted_on                date,
  ADD COLUMN full_member_on             date,
  ADD COLUMN phone                      text CHECK (length(phone) <= 30),
  ADD COLUMN email                      text CHECK (length(email) <= 200),
  ADD COLUMN updated_at                 timestamptz NOT NULL DEFAULT now();
UPDATE people p SET organization_id = c.organization_id FROM cases c WHERE c.person_id = p.id;
CREATE INDEX people_org_idx ON people (organization_id);

-- Users and what they may do. A role is admin (everything), organizer (staff of an organization subtree),
-- approver (signs for one body of one organization) or viewer (reads a subtree).
CREATE TABLE users (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username       text NOT NULL CHECK (username ~ '^[a-z0-9._-]{3,64}$'),
  display_name   text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  email          text CHECK (length(email) <= 200),
  password_hash  text NOT NULL,
  active         boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_login_at  timestamptz
);
CREATE UNIQUE INDEX users_username_idx ON users (username);

CREATE TABLE user_roles (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role             text NOT NULL CHECK (role IN ('admin', 'organizer', 'approver', 'viewer')),
  organization_id  uuid REFERENCES organizations (id),
  body             text CHECK (body IN ('cell', 'partial-committee', 'grassroots-committee', 'standing-committee')),
  CHECK ((role = 'admin') = (organization_id IS NULL)),
  CHECK ((role = 'approver') = (body IS NOT NULL))
);
CREATE UNIQUE INDEX user_roles_unique_idx ON user_roles (user_id, role, coalesce(organization_id, '00000000-0000-0000-0000-000000000000'::uuid), coalesce(body, ''));

-- API tokens for integrations: only a SHA-256 of the token is kept; the token is shown once.
CREATE TABLE api_tokens (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash    text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);

-- Browser sessions (connect-pg-simple's schema).
CREATE TABLE session (
  sid     varchar NOT NULL COLLATE "default" PRIMARY KEY,
  sess    json NOT NULL,
  expire  timestamp(6) NOT NULL
);
CREATE INDEX session_expire_idx ON session (expire);

-- Who did what, when and from where. Append-only: written in the transaction of the change it records.
CREATE TABLE audit_log (
  id               bigserial PRIMARY KEY,
  at               timestamptz NOT NULL DEFAULT now(),
  actor_user_id    uuid,
  actor_ip         text,
  action           text NOT NULL,
  entity_type      text NOT NULL,
  entity_id        text NOT NULL,
  case_id          uuid,
  organization_id  uuid,
  details          jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, at);
CREATE INDEX audit_log_case_idx ON audit_log (case_id, at) WHERE case_id IS NOT NULL;

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
