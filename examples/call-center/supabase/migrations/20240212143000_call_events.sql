-- Status callbacks from Twilio, one row per event.
create table public.call_events (
  call_id uuid not null references public.calls (id) on delete cascade,
  event text not null,
  payload jsonb,
  received_at timestamptz not null default now()
);

create index call_events_call_id_idx on public.call_events (call_id);

create or replace view public.agent_stats as
  select agent_id, count(*) as calls, max(created_at) as last_call
  from public.calls
  group by agent_id;
