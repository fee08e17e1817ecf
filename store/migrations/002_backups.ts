/**
 * The backups table (backups/). `created_by`/`restored_by` hold the actor's readable name (an email,
 * 'cli', 'scheduler'), not a user id: a database restore replaces the users table, and these rows must
 * survive it (the table is left out of database dumps and restores for the same reason).
 */
export const version = 2;
export const name = 'backups';

export const up = /* sql */ `
create table backups (
  id serial primary key,
  type text not null check (type in ('SOURCE', 'DATABASE', 'PROJECTS', 'FULL')),
  file_path text not null,
  file_size bigint check (file_size >= 0),
  status text not null default 'pending' check (status in ('pending', 'completed', 'failed')),
  error_message text,
  created_at timestamptz not null default now(),
  created_by text not null,
  restored_at timestamptz,
  restored_by text,
  description text check (length(description) <= 500),
  checksum text check (checksum ~ '^[0-9a-f]{64}$'),
  -- a completed backup has its size and checksum; a failed one says why
  check (status <> 'completed' or (file_size is not null and checksum is not null)),
  check (status <> 'failed' or error_message is not null)
);
create index backups_type_created on backups (type, created_at desc);
`;
