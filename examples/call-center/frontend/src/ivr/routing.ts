// Routing conditions are edited by supervisors, e.g. "call.waitSeconds > 120".
export type Call = { waitSeconds: number; language: string };

export function matches(condition: string, call: Call): boolean {
  return Boolean(eval(condition));
}
