/**
 * Facts about this installation that every process sharing the database must agree on, e.g. which project
 * storage the server writes to (projects/storage-identity.ts), so a worker on another machine can tell that
 * it sees the same files.
 */
export const version = 3;
export const name = 'instance';

export const up = /* sql */ `
create table instance_facts (
  key text primary key,
  value text not null,
  updated_at timestamptz not null default now()
);
`;
