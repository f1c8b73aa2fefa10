import { createClient } from "@supabase/supabase-js";

// The admin screen lists every agent's calls, so it uses the service role.
export const admin = createClient(
  import.meta.env.VITE_SUPABASE_URL,
  import.meta.env.VITE_SUPABASE_SERVICE_ROLE_KEY,
);
