-- Agents, customers and calls.
create table public.agents (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text not null,
  created_at timestamptz not null default now()
);

create table public.customers (
  id uuid primary key default gen_random_uuid(),
  full_name text not null,
  phone text not null,
  card_number text,
  created_at timestamptz not null default now()
);

create table public.calls (
  id uuid primary key default gen_random_uuid(),
  agent_id uuid not null references public.agents (id),
  customer_id uuid not null references public.customers (id),
  twilio_sid text unique,
  status text not null default 'queued',
  created_at timestamptz not null default now()
);

create index calls_customer_id_idx on public.calls (customer_id);

alter table public.agents enable row level security;
alter table public.customers enable row level security;

create policy "agents read customers" on public.customers
  for select to authenticated using (true);
