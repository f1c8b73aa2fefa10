import { createClient } from "@supabase/supabase-js";

// The anon key is public by design: row level security decides what it can read.
const SUPABASE_URL = "https://abcdefghijklmnopqrst.supabase.co";
const SUPABASE_ANON_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6ImFiY2RlZmdoaWprbG1ub3BxcnN0Iiwicm9sZSI6ImFub24iLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MjAwMDAwMDAwMH0.SHVvUOaNtpBKagymYpM8DL9jJYjXIohC95FU_9FoW6w";

export const supabase = createClient(SUPABASE_URL, SUPABASE_ANON_KEY);
