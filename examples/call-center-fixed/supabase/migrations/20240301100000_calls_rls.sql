create policy "agents read their calls" on public.calls
  for select to authenticated using ((select auth.uid()) = agent_id);

create policy "agents log their calls" on public.calls
  for insert to authenticated with check ((select auth.uid()) = agent_id);

-- New agents get a row when they sign up.
create or replace function public.handle_new_agent() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.agents (id, display_name) values (new.id, coalesce(new.email, 'agent'));
  return new;
end;
$$;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function public.handle_new_agent();
