// The console's pages; each is small here, real ones pull in tables, charts and forms.
const page = (title: string) => () => <h1>{title}</h1>;

export const Home = page("Today's calls");
export const Login = page("Sign in");
export const Calls = page("Calls");
export const CallDetail = page("Call");
export const Agents = page("Agents");
export const Queues = page("Queues");
export const Reports = page("Reports");
export const Settings = page("Settings");
export const Billing = page("Billing");
export const NotFound = page("Not found");
