import { supabase } from "./supabase";

// Listing every agent's calls needs the service role: the backend does it, after checking
// that the signed-in user is a supervisor. The browser only holds the user's session.
export async function allCalls(): Promise<unknown> {
  const { data, error } = await supabase.functions.invoke("admin-calls");
  if (error) throw error;
  return data;
}
