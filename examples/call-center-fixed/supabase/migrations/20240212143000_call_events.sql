-- Status callbacks from Twilio, one row per event. Written by the API with the service role.
create table public.call_events (
  id bigint generated always as identity primary key,
  call_id uuid not null references public.calls (id) on delete cascade,
  event text not null,
  payload jsonb,
  received_at timestamptz not null default now()
);

create index call_events_call_id_idx on public.call_events (call_id);

alter table public.call_events enable row level security;
revoke all on table public.call_events from anon, authenticated;

create or replace view public.agent_stats with (security_invoker = true) as
  select agent_id, count(*) as calls, max(created_at) as last_call
  from public.calls
  group by agent_id;
