/**
 * The first schema. A migration is history: once released it never changes (its checksum is recorded);
 * changes go into a new file. Lists of allowed values are spelled out here, not imported, for that reason.
 */
export const version = 1;
export const name = 'initial';

export const up = /* sql */ `
create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null check (length(email) between 1 and 254),
  password_hash text not null,
  role text not null check (role in ('admin', 'editor', 'viewer')),
  must_change_password boolean not null default false,
  -- sessions (JWTs) issued before this instant are refused: password change, "log out everywhere"
  sessions_valid_after timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  disabled_at timestamptz
);
create unique index users_email_key on users (lower(email));

create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  name text not null check (length(name) between 1 and 100),
  token_hash text not null unique,
  -- the first characters of the token, so a list can tell tokens apart without revealing them
  prefix text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_tokens_user on api_tokens (user_id);

create table streams (
  id uuid primary key default gen_random_uuid(),
  name text not null unique check (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  key_hash text not null unique,
  target_languages text[] not null check (cardinality(target_languages) > 0),
  providers jsonb not null default '{}'::jsonb,
  created_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  rotated_at timestamptz
);

create table projects (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  source_language text not null,
  target_languages text[] not null default '{}',
  status text not null default 'created' check (status in (
    'created', 'downloading', 'processing', 'transcribing', 'review',
    'translating', 'synthesizing', 'composing', 'done', 'failed')),
  source_url text,
  error text,
  settings jsonb not null default '{}'::jsonb,
  created_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index projects_created_at on projects (created_at desc);

create table media_files (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects (id) on delete cascade,
  kind text not null check (kind in ('source', 'audio', 'dubbed', 'subtitle', 'stem', 'waveform', 'other')),
  lang text,
  -- relative to the project's directory; never absolute, never '..'
  path text not null,
  size_bytes bigint check (size_bytes >= 0),
  sha256 text check (sha256 ~ '^[0-9a-f]{64}$'),
  duration_ms integer check (duration_ms >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (project_id, path)
);

create table segments (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects (id) on delete cascade,
  idx integer not null check (idx >= 0),
  start_ms integer not null check (start_ms >= 0),
  end_ms integer not null,
  speaker text,
  source_text text not null,
  -- bumped by every change of text, speaker or timing; translations record the revision they came from
  revision integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (project_id, idx),
  check (end_ms >= start_ms)
);

create table segment_revisions (
  segment_id uuid not null references segments (id) on delete cascade,
  revision integer not null,
  start_ms integer not null,
  end_ms integer not null,
  speaker text,
  source_text text not null,
  edited_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  primary key (segment_id, revision)
);

create table translations (
  id uuid primary key default gen_random_uuid(),
  segment_id uuid not null references segments (id) on delete cascade,
  lang text not null,
  text text not null,
  status text not null default 'draft' check (status in ('draft', 'reviewed')),
  provider text not null,
  candidates jsonb not null default '[]'::jsonb,
  revision integer not null default 1,
  -- the segment revision this was translated from: stale when lower than the segment's
  source_revision integer not null,
  reviewed_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (segment_id, lang)
);

create table syntheses (
  id uuid primary key default gen_random_uuid(),
  segment_id uuid not null references segments (id) on delete cascade,
  lang text not null,
  -- the translation revision this was spoken from: stale when lower than the translation's
  translation_revision integer not null,
  path text not null,
  duration_ms integer not null check (duration_ms >= 0),
  speed real not null default 1 check (speed > 0),
  voice text,
  provider text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (segment_id, lang)
);

create table jobs (
  id uuid primary key default gen_random_uuid(),
  project_id uuid references projects (id) on delete cascade,
  stage text not null,
  status text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  attempts integer not null default 0,
  max_attempts integer not null default 3 check (max_attempts >= 1),
  progress real not null default 0 check (progress >= 0 and progress <= 1),
  payload jsonb not null default '{}'::jsonb,
  error text,
  error_code text,
  idempotency_key text unique,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz
);
create index jobs_project on jobs (project_id, created_at);
create index jobs_queued on jobs (created_at) where status = 'queued';

create table audit_log (
  id bigserial primary key,
  at timestamptz not null default now(),
  user_id uuid references users (id) on delete set null,
  -- who, readable even after the user is deleted: an email, 'system', 'cli'
  actor text not null,
  action text not null,
  target_type text not null,
  target_id text,
  detail jsonb not null default '{}'::jsonb
);
create index audit_log_at on audit_log (at desc);
create index audit_log_target on audit_log (target_type, target_id);
`;
