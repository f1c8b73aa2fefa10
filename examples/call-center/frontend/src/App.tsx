import { Routes, Route } from "react-router-dom";
import {
  Agents,
  Billing,
  CallDetail,
  Calls,
  Home,
  Login,
  NotFound,
  Queues,
  Reports,
  Settings,
} from "./pages";

export default function App() {
  return (
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
  );
}
