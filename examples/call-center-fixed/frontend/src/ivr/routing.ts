// Routing conditions are chosen by supervisors from a fixed list, never written as code.
export type Call = { waitSeconds: number; language: string };

const CONDITIONS: Record<string, (call: Call) => boolean> = {
  "long-wait": (call) => call.waitSeconds > 120,
  spanish: (call) => call.language === "es",
};

export function matches(condition: string, call: Call): boolean {
  return CONDITIONS[condition]?.(call) ?? false;
}
