import { lazy, Suspense } from "react";
import { Routes, Route } from "react-router-dom";
import { Home, Login, NotFound } from "./pages";

// Pages behind the login load on demand: the sign-in screen does not wait for them.
const named = <K extends string>(name: K) =>
  lazy(() => import("./pages").then((m) => ({ default: m[name as keyof typeof m] })));
const Calls = named("Calls");
const CallDetail = named("CallDetail");
const Agents = named("Agents");
const Queues = named("Queues");
const Reports = named("Reports");
const Settings = named("Settings");
const Billing = named("Billing");

export default function App() {
  return (
    <Suspense fallback={<p>Loading…</p>}>
      <Routes>
        <Route path="/" element={<Home />} />
        <Route path="/login" element={<Login />} />
        <Route path="/calls" element={<Calls />} />
        <Route path="/calls/:id" element={<CallDetail />} />
        <Route path="/agents" element={<Agents />} />
        <Route path="/queues" element={<Queues />} />
        <Route path="/reports" element={<Reports />} />
        <Route path="/settings" element={<Settings />} />
        <Route path="/billing" element={<Billing />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Suspense>
  );
}
